import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { runCommand } from '../../support/child-server';
import { dropTestDatabase, startTestServer, type TestServer } from '../../support/test-server';
import { loadStartupContent, readStartupContent } from '../../../src/content/load-startup-content';

/**
 * Start-up loads of the library on one database: a start-up that finds the library as the last
 * complete load left it skips re-checking it; an edited file makes the next start-up load it
 * again (one new version); a library resource edited through the API is kept, with a warning,
 * until `npm run load -- --replace-local-edits` puts its file back.
 */
let work: string;
let databaseUrl: string | undefined;
const DOC = 'DocumentReference-foraminotomy-risks.json';

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'library-reload-'));
  await cp('profiles', path.join(work, 'profiles'), { recursive: true });
  await cp('content', path.join(work, 'content'), { recursive: true });
});
afterAll(async () => {
  if (databaseUrl) await dropTestDatabase(databaseUrl);
  await rm(work, { recursive: true, force: true });
});

async function start(logger?: pino.Logger): Promise<TestServer> {
  const server = await startTestServer({
    logger,
    pgliteDir: path.join(work, 'db'),
    databaseUrl,
    keepDatabase: true,
    env: { LOAD_CONTENT: 'true', PROFILES_DIR: path.join(work, 'profiles'), CONTENT_DIR: path.join(work, 'content') },
  });
  databaseUrl = server.databaseUrl;
  return server;
}

/** What a start-up load does now: skip (true) or load (false), with its summary. */
async function loadAgain(server: TestServer) {
  const items = await readStartupContent([server.ctx.config.profilesDir, server.ctx.config.contentDir]);
  return { items, summary: await loadStartupContent(server.ctx, items) };
}

const versionOf = async (server: TestServer, ref: string) => (await server.fetch(`/${ref}`)).body.meta.versionId;

test('unchanged library: the next start-up skips it and every version stays 1', async () => {
  const first = await start();
  try {
    expect(await versionOf(first, 'DocumentReference/foraminotomy-risks')).toBe('1');
  } finally {
    await first.stop();
  }
  const second = await start();
  try {
    const { items, summary } = await loadAgain(second);
    expect(summary).toEqual({ created: 0, updated: 0, unchanged: items.length, rejected: [], skipped: true, kept: [], replaced: [] });
    for (const type of ['PlanDefinition', 'DocumentReference', 'Questionnaire', 'StructureDefinition', 'SearchParameter']) {
      const found = (await second.fetch(`/${type}?_count=100`)).body.entry.map((e: any) => e.resource);
      expect(found.length).toBeGreaterThan(0);
      for (const r of found) expect(r.meta.versionId).toBe('1');
    }
    // The library's SearchParameters are registered all the same.
    const search = await second.fetch('/DocumentReference?procedure=http://www.ama-assn.org/go/cpt|63047&type=risks');
    expect(search.body.entry.map((e: any) => e.resource.id)).toContain('foraminotomy-risks');
  } finally {
    await second.stop();
  }
});

test('an edited content file: the next start-up writes version 2 of that resource only', async () => {
  const file = path.join(work, 'content', DOC);
  const doc = JSON.parse(await readFile(file, 'utf8'));
  doc.description = `${doc.description ?? ''} (revised)`;
  await writeFile(file, JSON.stringify(doc, null, 2));
  const server = await start();
  try {
    expect(await versionOf(server, 'DocumentReference/foraminotomy-risks')).toBe('2');
    expect((await server.fetch('/DocumentReference/foraminotomy-risks')).body.description).toMatch(/\(revised\)$/);
    expect(await versionOf(server, 'DocumentReference/foraminotomy-recovery')).toBe('1');
    expect(await versionOf(server, 'PlanDefinition/foraminotomy')).toBe('1');
    // That load was complete: it is the one the next start-up compares with.
    expect((await loadAgain(server)).summary.skipped).toBe(true);
  } finally {
    await server.stop();
  }
});

/** The server's log lines, as JSON objects. */
function captureLog(): { logger: pino.Logger; lines: () => { level: number; msg: string; resource?: string; file?: string }[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
  };
}

const RECOVERY = 'DocumentReference/foraminotomy-recovery';
const RECOVERY_FILE = 'DocumentReference-foraminotomy-recovery.json';
const editWarnings = (log: ReturnType<typeof captureLog>) => log.lines().filter((l) => l.level === 40 && l.resource === RECOVERY);

test('a library resource edited through the API is kept at the next start-up, with a warning naming it and its file', async () => {
  const first = await start();
  try {
    const current = (await first.fetch(`/${RECOVERY}`)).body;
    const put = await first.fetch(`/${RECOVERY}`, {
      method: 'PUT',
      body: JSON.stringify({ ...current, meta: undefined, description: 'Call our spine clinic at 555-0100' }),
    });
    expect(put.status).toBe(200);
    expect(put.body.meta.versionId).toBe('2');
  } finally {
    await first.stop();
  }
  const log = captureLog();
  const second = await start(log.logger);
  try {
    const stored = (await second.fetch(`/${RECOVERY}`)).body;
    expect({ version: stored.meta.versionId, description: stored.description }).toEqual({ version: '2', description: 'Call our spine clinic at 555-0100' });
    const warnings = editWarnings(log);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].file).toBe(path.join(work, 'content', RECOVERY_FILE));
    expect(warnings[0].msg).toContain('--replace-local-edits');
  } finally {
    await second.stop();
  }
});

test("the edited resource's file changes too: the edit is still kept and warned about; an unedited changed file still loads", async () => {
  for (const name of [RECOVERY_FILE, DOC]) {
    const file = path.join(work, 'content', name);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.description = `${doc.description ?? ''} (second revision)`;
    await writeFile(file, JSON.stringify(doc, null, 2));
  }
  const log = captureLog();
  const server = await start(log.logger);
  try {
    const stored = (await server.fetch(`/${RECOVERY}`)).body;
    expect({ version: stored.meta.versionId, description: stored.description }).toEqual({ version: '2', description: 'Call our spine clinic at 555-0100' });
    expect(editWarnings(log)).toHaveLength(1);
    const risks = (await server.fetch('/DocumentReference/foraminotomy-risks')).body;
    expect({ version: risks.meta.versionId, revised: risks.description.endsWith('(second revision)') }).toEqual({ version: '3', revised: true });
  } finally {
    await server.stop();
  }
});

test('npm run load -- --replace-local-edits puts the file back; the next start-up keeps it without a warning', async () => {
  const result = await runCommand(['--import', 'tsx', 'src/cli/load-command.ts', '--replace-local-edits'], {
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { DATABASE_URL: '', PGLITE_DIR: path.join(work, 'db') }),
    PROFILES_DIR: path.join(work, 'profiles'),
    CONTENT_DIR: path.join(work, 'content'),
  });
  expect(result.output).toContain(`replaced ${RECOVERY} with ${path.join(work, 'content', RECOVERY_FILE)}`);
  expect(result.code).toBe(0);
  const log = captureLog();
  const server = await start(log.logger);
  try {
    const stored = (await server.fetch(`/${RECOVERY}`)).body;
    expect(stored.meta.versionId).toBe('3');
    expect(stored.description).toMatch(/\(second revision\)$/);
    expect(editWarnings(log)).toHaveLength(0);
  } finally {
    await server.stop();
  }
});
