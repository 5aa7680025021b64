import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand, spawnServer, type ChildServer } from '../../support/child-server';

/**
 * A PGlite data directory belongs to the process that opened it. With a server running on it,
 * every other process that would open it (a second server, client registration, load, reindex)
 * stops at once with a message naming the server's process, and writes nothing; the load sent
 * to the server over HTTP succeeds and its result is readable there. Nothing is reported done
 * and then missing.
 */
let dir: string;
let server: ChildServer;
let port: number;
const env = () => ({ DATABASE_URL: '', PGLITE_DIR: dir, AUTH: 'off', LOAD_CONTENT: 'false' });

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pglite-lock-'));
  server = spawnServer({ env: env() });
  port = await server.listening();
}, 120_000);

afterAll(async () => {
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
  await server.exited;
  await rm(dir, { recursive: true, force: true });
});

const holder = () => new RegExp(`in use by process ${server.child.pid}\\b[\\s\\S]*Stop that process first`);

test('a second server on the same directory stops at once, naming the process that holds it', async () => {
  const second = spawnServer({ env: env() });
  expect(await second.exitCodeWithin(60_000)).toBe(1);
  expect(second.output()).toMatch(holder());
  expect(second.output()).not.toContain('server listening');
});

test.each([
  ['client register', ['src/cli/client-command.ts', 'register', '--id', 'lock-test', '--jwks-url', 'https://example.org/jwks.json', '--scope', 'system/*.rs']],
  ['reindex', ['src/cli/reindex-command.ts', 'Patient']],
])('%s refuses with the message and exits non-zero', async (_name, args) => {
  const result = await runCommand(['--import', 'tsx', ...args], env());
  expect(result.code).not.toBe(0);
  expect(result.output).toMatch(holder());
  expect(result.output).not.toMatch(/registered|reindexed/);
});

test('load into the directory refuses; load --url through the server succeeds and is readable over HTTP', async () => {
  const file = path.join(dir, '..', `${path.basename(dir)}.ndjson`);
  await writeFile(file, `${JSON.stringify({ resourceType: 'Patient', id: 'lock-a', name: [{ family: 'Lockheld' }] })}\n`);
  try {
    const direct = await runCommand(['--import', 'tsx', 'src/cli/load-command.ts', file], env());
    expect(direct.code).not.toBe(0);
    expect(direct.output).toMatch(holder());
    expect(direct.output).not.toContain('created 1');
    expect((await fetch(`http://127.0.0.1:${port}/fhir/Patient/lock-a`)).status).toBe(404);

    const viaServer = await runCommand(['--import', 'tsx', 'src/cli/load-command.ts', file, '--url', `http://127.0.0.1:${port}/fhir`], env());
    expect(viaServer.output).toContain('created 1');
    expect(viaServer.code).toBe(0);
    const read = await fetch(`http://127.0.0.1:${port}/fhir/Patient/lock-a`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { name: { family: string }[] }).name[0].family).toBe('Lockheld');
  } finally {
    await rm(file, { force: true });
  }
});

test('after the server stops the lock is released and a command opens the directory', async () => {
  server.child.kill('SIGTERM');
  expect(await server.exitCodeWithin(10_000)).toBe(0);
  expect(existsSync(path.join(dir, 'pglite.lock'))).toBe(false);
  const list = await runCommand(['--import', 'tsx', 'src/cli/client-command.ts', 'list'], env());
  expect(list.output).toContain('no clients registered');
  expect(list.code).toBe(0);
});
