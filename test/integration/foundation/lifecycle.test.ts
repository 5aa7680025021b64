import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { dropTestDatabase, ENGINE, startTestServer, TEST_DATABASE_URL } from '../../support/test-server';

test('data survives a restart (write, stop, start, read back)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pglite-restart-'));
  const first = await startTestServer({ pgliteDir: dir, keepDatabase: true });
  try {
    const created = await first.fetch('/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Persistent' }] }) });
    expect(created.status).toBe(201);
    await first.stop();
    const second = await startTestServer({ pgliteDir: dir, databaseUrl: first.databaseUrl });
    try {
      const read = await second.fetch(`/Patient/${created.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body.name[0].family).toBe('Persistent');
      const found = await second.fetch('/Patient?family=persistent');
      expect(found.body.entry).toHaveLength(1);
    } finally {
      await second.stop();
    }
  } finally {
    if (first.databaseUrl) await dropTestDatabase(first.databaseUrl);
    await rm(dir, { recursive: true, force: true });
  }
});

test('two servers starting at once on one database apply the migrations exactly once', async () => {
  if (ENGINE === 'pglite') {
    // An embedded database belongs to one process; the race only exists on a shared Postgres.
    const server = await startTestServer();
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(200);
    await server.close();
    return;
  }
  const first = await startTestServer({ keepDatabase: true, env: { LOAD_CONTENT: 'false' } });
  await first.stop();
  await dropTestDatabase(first.databaseUrl!);
  // Fresh database, then two instances at the same moment.
  const url = new URL(TEST_DATABASE_URL!);
  const name = `fhir_test_race_${Date.now().toString(36)}`;
  const { Client } = await import('pg');
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  url.pathname = `/${name}`;
  try {
    const [a, b] = await Promise.all([
      startTestServer({ databaseUrl: url.toString() }),
      startTestServer({ databaseUrl: url.toString() }),
    ]);
    const check = new Client({ connectionString: url.toString() });
    await check.connect();
    const rows = await check.query('select name, count(*)::int as n from schema_migration group by name');
    await check.end();
    expect(rows.rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.rows.every((r: { n: number }) => r.n === 1)).toBe(true);
    await a.stop();
    await b.stop();
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

/** A TCP proxy in front of Postgres that the test can cut and restore. */
function proxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const start = (port = 0) =>
    new Promise<number>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop);
        upstream.on('error', drop);
        client.on('close', drop);
        upstream.on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as net.AddressInfo).port));
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      server!.close(() => resolve());
    });
  return { start, cut };
}

test('a database outage answers 503 and the server recovers by itself', async () => {
  if (ENGINE === 'pglite') {
    // PGlite runs inside the server process: it cannot be unreachable while the server runs.
    const server = await startTestServer();
    expect((await server.fetch('/metadata')).status).toBe(200);
    await server.close();
    return;
  }
  const admin = new URL(TEST_DATABASE_URL!);
  const name = `fhir_test_outage_${Date.now().toString(36)}`;
  const { Client } = await import('pg');
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`create database ${name}`);
  const p = proxy(Number(admin.port || 5432));
  const port = await p.start();
  const viaProxy = new URL(TEST_DATABASE_URL!);
  viaProxy.port = String(port);
  viaProxy.pathname = `/${name}`;
  const server = await startTestServer({ databaseUrl: viaProxy.toString() });
  try {
    const created = await server.fetch('/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient' }) });
    expect(created.status).toBe(201);
    await p.cut();
    const down = await server.fetch(`/Patient/${created.body.id}`);
    expect(down.status).toBe(503);
    expect(down.body.resourceType).toBe('OperationOutcome');
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(503);
    await p.start(port);
    let status = 0;
    for (let i = 0; i < 20 && status !== 200; i++) {
      status = (await server.fetch(`/Patient/${created.body.id}`)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(200);
  } finally {
    await server.stop();
    await p.cut().catch(() => undefined);
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  }
});
