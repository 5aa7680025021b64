import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnServer } from '../../support/child-server';
import { createTestDatabase, dropTestDatabase, TEST_DATABASE_URL } from '../../support/test-server';

/**
 * SIGTERM on a real server process (on the suite's database: PostgreSQL with DATABASE_URL, a
 * PGlite directory without): every request in flight is answered, keep-alive sockets do not
 * hold the process open, and the process exits 0.
 */

/** A fresh database for one child server: its environment, and how to remove it. */
async function freshDatabase(): Promise<{ env: Record<string, string>; remove: () => Promise<void> }> {
  if (TEST_DATABASE_URL) {
    const url = await createTestDatabase();
    return { env: { DATABASE_URL: url }, remove: () => dropTestDatabase(url) };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'shutdown-'));
  return { env: { DATABASE_URL: '', PGLITE_DIR: path.join(dir, 'data') }, remove: () => rm(dir, { recursive: true, force: true }) };
}

function request(
  agent: http.Agent,
  port: number,
  method: string,
  urlPath: string,
  body?: unknown,
  onSent?: () => void,
): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: '127.0.0.1', port, method, path: urlPath, headers: body === undefined ? {} : { 'content-type': 'application/fhir+json' } },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.once('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body), onSent);
  });
}

test('SIGTERM with 40 writes in flight over keep-alive: every write answered, exit 0 within 5 s of the signal', async () => {
  const database = await freshDatabase();
  const server = spawnServer({ env: { ...database.env, LOAD_CONTENT: 'false', AUTH: 'off' } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 40 });
  try {
    const port = await server.listening();
    // 40 open keep-alive connections, then 40 writes on them.
    await Promise.all(Array.from({ length: 40 }, () => request(agent, port, 'GET', '/healthz')));
    // Patients with many identifiers: each write takes the database a few milliseconds to index.
    const patient = (i: number) => ({
      resourceType: 'Patient',
      identifier: Array.from({ length: 40 }, (_, k) => ({ system: `urn:test:shutdown:${k}`, value: `${i}-${k}` })),
      name: [{ family: `Shutdown${i}` }],
    });
    let sent = 0;
    let answered = 0;
    let allSent: () => void = () => undefined;
    const sending = new Promise<void>((resolve) => (allSent = resolve));
    const writes = Array.from({ length: 40 }, (_, i) =>
      request(agent, port, 'POST', '/fhir/Patient', patient(i), () => {
        if (++sent === 40) allSent();
      }).then((a) => {
        answered++;
        return a;
      }),
    );
    await sending;
    await new Promise((r) => setTimeout(r, 30));
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const unansweredAtSignal = 40 - answered;
    // The 5 s run from the moment SIGTERM is sent: answering the writes in flight, closing the
    // keep-alive sockets (their idle timeout is 65 s) and the database all fit in them.
    const code = await server.exitCodeWithin(5_000);
    const exitedAfterMs = Date.now() - signalled;
    const answers = await Promise.all(writes);
    expect(unansweredAtSignal).toBeGreaterThan(0);
    expect(answers.map((a) => a.status)).toEqual(Array(40).fill(201));
    expect({ code, exitedWithinFiveSeconds: exitedAfterMs <= 5_000 }).toEqual({ code: 0, exitedWithinFiveSeconds: true });
    expect(server.output()).toContain('shutting down');
    await expect(request(new http.Agent(), port, 'GET', '/healthz')).rejects.toThrow();
  } finally {
    agent.destroy();
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
    await database.remove();
  }
}, 240_000);

test('SIGTERM during start-up: the process exits 0 at once, before listening', async () => {
  const database = await freshDatabase();
  const server = spawnServer({ env: { ...database.env, AUTH: 'off' } });
  try {
    // Start-up has begun (the first log line) but the library load is still ahead.
    await server.waitFor(/\n/);
    server.child.kill('SIGTERM');
    const code = await server.exitCodeWithin(5_000);
    expect(code).toBe(0);
    expect(server.output()).not.toContain('server listening');
    expect(server.output()).toContain('stopped during start-up');
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await server.exited;
    await database.remove();
  }
}, 120_000);
