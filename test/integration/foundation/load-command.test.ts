import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dropTestDatabase, startTestServer, type TestServer } from '../../support/test-server';

/**
 * `npm run load -- <file>` writes 500 resources per transaction: a rejected resource is still
 * reported on its own and keeps no other resource out, a rerun changes nothing, and what it
 * wrote is found over HTTP like anything written through the API.
 */
const ROOT = path.resolve(__dirname, '../../..');

function runLoad(
  file: string,
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/load-command.ts', file], {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout }));
  });
}

/**
 * A fresh database (PostgreSQL or a PGlite directory, as the suite runs) with the schema made by
 * one server start, the environment that points the load command at it, and a way to start a
 * server on it afterwards to check over HTTP what the command stored.
 */
async function withLoadTarget(
  prefix: string,
  work: (target: {
    dir: string;
    env: Record<string, string>;
    inspect: (check: (server: TestServer) => Promise<void>) => Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  const first = await startTestServer({ pgliteDir: dir, keepDatabase: true });
  await first.stop();
  const env: Record<string, string> = first.databaseUrl
    ? { DATABASE_URL: first.databaseUrl }
    : { DATABASE_URL: '', PGLITE_DIR: dir };
  const inspect = async (check: (server: TestServer) => Promise<void>) => {
    const server = await startTestServer({
      pgliteDir: dir,
      databaseUrl: first.databaseUrl,
      keepDatabase: true,
    });
    try {
      await check(server);
    } finally {
      await server.stop();
    }
  };
  try {
    await work({ dir, env, inspect });
  } finally {
    if (first.databaseUrl) await dropTestDatabase(first.databaseUrl);
    await rm(dir, { recursive: true, force: true });
  }
}

const patient = (i: number) => ({
  resourceType: 'Patient',
  id: `load-${i}`,
  identifier: [{ system: 'urn:test:load', value: String(i) }],
  name: [{ family: i % 2 === 0 ? 'Evenload' : 'Oddload' }],
  gender: i === 520 ? 'tomato' : 'female',
});

test('loads in chunks: one bad resource is rejected alone, a rerun changes nothing', async () => {
  await withLoadTarget('load-command-', async ({ dir, env, inspect }) => {
    const lines = Array.from({ length: 700 }, (_, i) => JSON.stringify(patient(i)));
    lines.splice(300, 0, JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Noid' }] }));
    const file = path.join(dir, 'patients.ndjson');
    await writeFile(file, `${lines.join('\n')}\n`);

    const run1 = await runLoad(file, env);
    expect(run1.stdout).toContain('created 700, updated 0, unchanged 0, rejected 1');
    expect(run1.stdout).toMatch(/rejected .*patients\.ndjson.*gender/);
    expect(run1.code).toBe(1);

    lines[10] = JSON.stringify({ ...patient(10), name: [{ family: 'Changedload' }] });
    await writeFile(file, `${lines.join('\n')}\n`);
    const run2 = await runLoad(file, env);
    // The resource without an id is created again; load-10 changed; the rest is as it was.
    expect(run2.stdout).toContain('created 1, updated 1, unchanged 698, rejected 1');

    await inspect(async (server) => {
      const count = async (q: string) => (await server.fetch(`/Patient?${q}&_summary=count`)).body.total;
      expect(await count('family=Evenload')).toBe(348); // 350 even ids, less load-10 (renamed) and load-520 (rejected)
      expect(await count('family=Oddload')).toBe(350);
      expect(await count('family=Changedload')).toBe(1);
      expect(await count('family=Noid')).toBe(2);
      expect(await count('identifier=urn:test:load|520')).toBe(0);
      expect((await server.fetch('/Patient/load-10/_history')).body.total).toBe(2);
      expect((await server.fetch('/Patient/load-11/_history')).body.total).toBe(1);
    });
  });
}, 120_000);

test('a transaction Bundle in a directory is run as the server runs it: its entries are stored, urn:uuid references resolved, not a Bundle', async () => {
  await withLoadTarget('load-command-tx-', async ({ dir, env, inspect }) => {
    const input = path.join(dir, 'input');
    await mkdir(input);
    await writeFile(
      path.join(input, 'a-transaction.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:4b0f8f6e-1c39-4a43-9d0e-6b7c1e0e2a11',
            resource: { resourceType: 'Patient', name: [{ family: 'Txload' }] },
            request: { method: 'POST', url: 'Patient' },
          },
          {
            resource: {
              resourceType: 'Task',
              id: 'txload-task',
              status: 'requested',
              intent: 'order',
              for: { reference: 'urn:uuid:4b0f8f6e-1c39-4a43-9d0e-6b7c1e0e2a11' },
            },
            request: { method: 'PUT', url: 'Task/txload-task' },
          },
        ],
      }),
    );
    await writeFile(
      path.join(input, 'b-patient.json'),
      JSON.stringify({ resourceType: 'Patient', id: 'txload-plain', name: [{ family: 'Plainload' }] }),
    );

    const run = await runLoad(input, env);
    expect(run.stdout).toContain('created 3, updated 0, unchanged 0, rejected 0');
    expect(run.code).toBe(0);

    await inspect(async (server) => {
      expect((await server.fetch('/Bundle?_summary=count')).body.total).toBe(0);
      const patients = await server.fetch('/Patient?family=Txload');
      expect(patients.body.total).toBe(1);
      const patientId = patients.body.entry[0].resource.id as string;
      const task = await server.fetch('/Task/txload-task');
      expect(task.body.for).toEqual({ reference: `Patient/${patientId}` });
      expect((await server.fetch('/Patient/txload-plain')).status).toBe(200);
    });
  });
}, 120_000);
