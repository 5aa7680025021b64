/**
 * A database written by an older build may hold SearchParameters that today's write rules
 * refuse (a core parameter's code redefined on its base, an expression beyond the FHIRPath
 * limits). Such rows, put straight into the database here, are not registered at the next
 * start: the log names them, and searches keep the specification's meaning.
 */
import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { dropTestDatabase, startTestServer } from '../../support/test-server';
import { rawDatabase } from '../../support/raw-database';

function captureLog(): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), text: () => chunks.join('') };
}

const redefinition = {
  resourceType: 'SearchParameter',
  id: 'old-task-patient',
  url: 'http://example.org/SearchParameter/old-task-patient',
  name: 'OldTaskPatient',
  status: 'active',
  description: 'Redefines Task.patient as the owner',
  code: 'patient',
  base: ['Task'],
  type: 'reference',
  target: ['Patient'],
  expression: 'Task.owner',
};

const overlong = {
  resourceType: 'SearchParameter',
  id: 'old-overlong',
  url: 'http://example.org/SearchParameter/old-overlong',
  name: 'OldOverlong',
  status: 'active',
  description: 'An expression past the length limit',
  code: 'old-overlong',
  base: ['Task'],
  type: 'string',
  expression: `Task.description${'.trim()'.repeat(600)}`,
};

test('SearchParameters stored before the current rules are not registered at start, and are logged by name', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stored-sp-'));
  const first = await startTestServer({ pgliteDir: dir, keepDatabase: true });
  try {
    // Setup only: rows as an older build could have stored them (no validation on this path).
    const now = new Date().toISOString();
    for (const sp of [redefinition, overlong]) {
      const content = JSON.stringify({ ...sp, meta: { versionId: '1', lastUpdated: now } });
      await sql`insert into resource (resource_type, id, version_id, last_updated, content) values ('SearchParameter', ${sp.id}, 1, ${now}, ${content})`.execute(rawDatabase(first.ctx.database));
    }
    await first.stop();

    const log = captureLog();
    const second = await startTestServer({ pgliteDir: dir, databaseUrl: first.databaseUrl, logger: log.logger });
    try {
      expect(log.text()).toContain('SearchParameter/old-task-patient');
      expect(log.text()).toContain('SearchParameter/old-overlong');
      // Task.patient keeps its R4 meaning (Task.for): a Task written now is found by its patient, not its owner.
      for (const id of ['p1', 'p2']) expect((await second.fetch(`/Patient/${id}`, { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id }) })).status).toBe(201);
      const task = await second.fetch('/Task', {
        method: 'POST',
        body: JSON.stringify({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/p1' }, owner: { reference: 'Patient/p2' } }),
      });
      expect(task.status).toBe(201);
      const byPatient = await second.fetch('/Task?patient=Patient/p1');
      expect(byPatient.body.entry?.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([task.body.id]);
      const byOwner = await second.fetch('/Task?patient=Patient/p2');
      expect(byOwner.body.entry ?? []).toEqual([]);
      // The overlong one is no search parameter of Task.
      const metadata = await second.fetch('/metadata');
      const taskParams = metadata.body.rest[0].resource.find((r: { type: string }) => r.type === 'Task').searchParam.map((p: { name: string }) => p.name);
      expect(taskParams).not.toContain('old-overlong');
      expect(taskParams).toContain('patient');
    } finally {
      await second.stop();
    }
  } finally {
    if (first.databaseUrl) await dropTestDatabase(first.databaseUrl);
    await rm(dir, { recursive: true, force: true });
  }
}, 300_000);
