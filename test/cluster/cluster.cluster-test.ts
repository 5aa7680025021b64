import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/app/server';
import { startPgCluster, type PgCluster } from '../support/pg-cluster';

/**
 * Several server instances on a real PostgreSQL topology built on this machine: a primary, a
 * streaming replica (pg_basebackup -R) and PgBouncer in transaction mode in front of the
 * primary. Run with `npm run test:cluster`.
 */
jest.setTimeout(180_000);

const DB = 'fhir';
const MAX_LAG_MS = 3000;
let cluster: PgCluster;
const servers: RunningServer[] = [];

async function startInstance(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    AUTH: 'off',
    LOAD_CONTENT: 'false',
    // Through PgBouncer (transaction mode, no protocol-level prepared statements before 1.21).
    DATABASE_URL: cluster.bouncerUrl(DB),
    DATABASE_PREPARED_STATEMENTS: 'false',
    // LISTEN needs a session; migrations go through PgBouncer.
    DATABASE_DIRECT_URL: cluster.primaryUrl(DB),
    DATABASE_REPLICA_URLS: cluster.replicaUrl(DB),
    REPLICA_MAX_LAG_MS: String(MAX_LAG_MS),
    REPLICA_CHECK_INTERVAL_MS: '200',
    SHARED_STATE_REFRESH_MS: '1000',
    ...env,
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  servers.push(server);
  return server;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(server: RunningServer, path: string, init: RequestInit & { client?: string } = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set('content-type', 'application/fhir+json');
  // AUTH=off: the Authorization header only tells the clients apart (the read-your-writes rule is per client).
  if (init.client !== undefined) headers.set('authorization', `Bearer ${init.client}`);
  const response = await fetch(`${server.origin}/fhir${path}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
}

const pool = (answer: Answer) => answer.headers.get('x-database-pool');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

let a: RunningServer;
let b: RunningServer;
let contentCopy: string | undefined;

beforeAll(async () => {
  cluster = await startPgCluster();
  await cluster.query('primary', `create database ${DB}`);
});

afterAll(async () => {
  for (const server of servers) await server.close().catch(() => undefined);
  await cluster?.destroy();
  if (contentCopy !== undefined) rmSync(contentCopy, { recursive: true, force: true });
});

/** Type/id -> versionId of every library resource, as one instance serves them (searched, not read: one request per type). */
async function servedVersions(server: RunningServer): Promise<Map<string, string>> {
  const served = new Map<string, string>();
  for (const type of LIBRARY_TYPES) {
    const bundle = await call(server, `/${type}?_count=500`, { client: 'version-check' });
    expect(bundle.status).toBe(200);
    for (const entry of bundle.body.entry ?? [])
      served.set(`${type}/${entry.resource.id}`, entry.resource.meta.versionId);
  }
  return served;
}

async function storedVersions(): Promise<Map<string, string>> {
  const rows = await cluster.query<{ resource_type: string; id: string; version_id: number }>(
    'primary',
    `select resource_type, id, version_id from resource where resource_type in (${LIBRARY_TYPES.map((t) => `'${t}'`).join(', ')}) and not deleted`,
    DB,
  );
  return new Map(rows.map((r) => [`${r.resource_type}/${r.id}`, String(r.version_id)]));
}

const LIBRARY_TYPES = ['PlanDefinition', 'DocumentReference', 'Questionnaire'];
const CHANGED = 'DocumentReference/foraminotomy-overview';

test('three instances starting at once on a fresh database migrate once, load the library once and serve the same versions', async () => {
  const started = await Promise.all([0, 1, 2].map(() => startInstance({ LOAD_CONTENT: 'true' })));
  const migrations = await cluster.query<{ n: number }>(
    'primary',
    'select count(*)::int as n from schema_migration group by name',
    DB,
  );
  expect(migrations.every((m) => m.n === 1)).toBe(true);
  const loads = await cluster.query<{ name: string }>('primary', 'select name from library_load', DB);
  expect(loads.map((l) => l.name)).toEqual(['startup']);
  const stored = await storedVersions();
  expect(stored.size).toBeGreaterThan(5);
  expect([...stored.values()].filter((v) => v !== '1')).toEqual([]);
  const history = await cluster.query<{ n: number }>(
    'primary',
    `select count(*)::int as n from resource_history where resource_type in (${LIBRARY_TYPES.map((t) => `'${t}'`).join(', ')})`,
    DB,
  );
  expect(history[0].n).toBe(stored.size);
  for (const server of started) expect(await servedVersions(server)).toEqual(stored);
  for (const server of started) await server.close();
  servers.length = 0;
});

test('three instances starting at once with a changed library file apply the change once and all serve it', async () => {
  const copy = mkdtempSync(path.join(os.tmpdir(), 'fhir-cluster-content-'));
  contentCopy = copy;
  cpSync(path.resolve(__dirname, '..', '..', 'content'), copy, { recursive: true });
  const file = path.join(copy, 'DocumentReference-foraminotomy-overview.json');
  const resource = JSON.parse(readFileSync(file, 'utf8'));
  resource.description = `${resource.description} (Revised.)`;
  writeFileSync(file, JSON.stringify(resource, null, 2));
  const [loadBefore] = await cluster.query<{ fingerprint: string }>(
    'primary',
    'select fingerprint from library_load',
    DB,
  );

  const started = await Promise.all(
    [0, 1, 2].map(() => startInstance({ LOAD_CONTENT: 'true', CONTENT_DIR: copy })),
  );
  [a, b] = started;
  const stored = await storedVersions();
  expect(stored.get(CHANGED)).toBe('2');
  expect([...stored].filter(([key, v]) => key !== CHANGED && v !== '1')).toEqual([]);
  const [{ n: changedVersions }] = await cluster.query<{ n: number }>(
    'primary',
    `select count(*)::int as n from resource_history where resource_type = 'DocumentReference' and id = 'foraminotomy-overview'`,
    DB,
  );
  expect(changedVersions).toBe(2);
  const [loadAfter] = await cluster.query<{ fingerprint: string }>(
    'primary',
    'select fingerprint from library_load',
    DB,
  );
  expect(loadAfter.fingerprint).not.toBe(loadBefore.fingerprint);
  for (const server of started) {
    expect(await servedVersions(server)).toEqual(stored);
    const read = await call(server, `/${CHANGED}`, { client: 'version-check' });
    expect([read.body.meta.versionId, read.body.description]).toEqual(['2', resource.description]);
  }
  await started[2].close();
});

test('a write through instance A is read at once through instance B', async () => {
  const created = await call(a, '/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Across' }] }), client: 'writer-1' });
  expect(created.status).toBe(201);
  expect(pool(created)).toBe('primary');
  const read = await call(b, `/Patient/${created.body.id}`, { client: 'reader-1' });
  expect(read.status).toBe(200);
  expect(read.body.name[0].family).toBe('Across');
});

test('a ConceptMap written through instance A translates on instance B within the replica lag bound, and its deletion too', async () => {
  const translate = async () => {
    const res = await call(b, '/ConceptMap/$translate?system=https://hospital.example.org/order-codes&code=SPINE-CLUSTER', { client: 'reader-cm' });
    expect(res.status).toBe(200);
    return res.body.parameter.find((p: { name: string }) => p.name === 'result').valueBoolean as boolean;
  };
  expect(await translate()).toBe(false);
  const map = {
    resourceType: 'ConceptMap',
    url: 'https://hospital.example.org/fhir/ConceptMap/cluster-codes',
    status: 'active',
    group: [{ source: 'https://hospital.example.org/order-codes', target: 'http://www.ama-assn.org/go/cpt', element: [{ code: 'SPINE-CLUSTER', target: [{ code: '63047', equivalence: 'equivalent' }] }] }],
  };
  const created = await call(a, '/ConceptMap', { method: 'POST', body: JSON.stringify(map), client: 'writer-cm' });
  expect(created.status).toBe(201);
  // B reads from the replica: what A wrote arrives there within REPLICA_MAX_LAG_MS (docs/scaling.md).
  await eventually('B to translate the site code', async () => ((await translate()) ? true : undefined), MAX_LAG_MS);
  expect((await call(a, `/ConceptMap/${created.body.id}`, { method: 'DELETE', client: 'writer-cm' })).status).toBeLessThan(300);
  await eventually('B to stop translating it', async () => ((await translate()) ? undefined : true), MAX_LAG_MS);
});

test('a SearchParameter stored through instance A is used by instance B within SHARED_STATE_REFRESH_MS', async () => {
  const strict = { headers: { prefer: 'handling=strict' }, client: 'reader-sp' };
  expect((await call(b, '/Patient?nickname-cluster=Al', strict)).status).toBe(400);
  const stored = await call(a, '/SearchParameter', {
    method: 'POST',
    client: 'writer-sp',
    body: JSON.stringify({
      resourceType: 'SearchParameter',
      url: 'https://patient-education.dev/fhir/SearchParameter/nickname-cluster',
      name: 'nicknameCluster',
      status: 'active',
      description: 'Given names (cluster test)',
      code: 'nickname-cluster',
      base: ['Patient'],
      type: 'string',
      expression: 'Patient.name.given',
    }),
  });
  expect(stored.status).toBe(201);
  const storedAt = Date.now();
  await eventually('instance B to know the parameter', async () => ((await call(b, '/Patient?nickname-cluster=Al', strict)).status === 200 ? true : undefined), 5000);
  // The refresh interval (1 s here) plus one check, with room for a loaded machine.
  expect(Date.now() - storedAt).toBeLessThan(4000);
});

test('searches and reads are served by the replica', async () => {
  await cluster.waitForReplay();
  await sleep(500);
  const search = await call(b, '/PlanDefinition?_count=5', { client: 'reader-2' });
  expect(search.status).toBe(200);
  expect(search.body.entry.length).toBeGreaterThan(0);
  expect(pool(search)).toBe('replica-1');
  const read = await call(a, `/PlanDefinition/${search.body.entry[0].resource.id}`, { client: 'reader-2' });
  expect(read.status).toBe(200);
  expect(pool(read)).toBe('replica-1');
});

test('read-your-writes holds while the replica is paused; a replica lagging too far is skipped, and used again once it catches up', async () => {
  const created = await call(a, '/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'One' }] }), client: 'writer-2' });
  await cluster.waitForReplay();
  await sleep(500);
  await cluster.pauseReplay();
  try {
    const updated = await call(a, `/Patient/${created.body.id}`, {
      method: 'PUT',
      body: JSON.stringify({ resourceType: 'Patient', id: created.body.id, name: [{ family: 'Two' }] }),
      client: 'writer-2',
    });
    expect(updated.status).toBe(200);
    expect(await cluster.replayIsBehind()).toBe(true);
    // The writer reads its write (from the primary: the paused replica has not replayed it).
    const own = await call(a, `/Patient/${created.body.id}`, { client: 'writer-2' });
    expect(pool(own)).toBe('primary');
    expect(own.body.name[0].family).toBe('Two');
    // Another client, within the allowed lag, is served by the replica: the previous version.
    const other = await call(a, `/Patient/${created.body.id}`, { client: 'someone-else' });
    expect([pool(other), other.body.name[0].family]).toEqual(['replica-1', 'One']);
    // Past the allowed lag the replica is skipped for everyone.
    await sleep(MAX_LAG_MS + 800);
    const later = await call(a, `/Patient/${created.body.id}`, { client: 'someone-else' });
    expect(pool(later)).toBe('primary');
    expect(later.body.name[0].family).toBe('Two');
  } finally {
    await cluster.query('replica', 'select pg_wal_replay_resume()');
  }
  const back = await eventually('the replica to serve again', async () => {
    const answer = await call(a, `/Patient/${created.body.id}`, { client: 'someone-else' });
    return pool(answer) === 'replica-1' ? answer : undefined;
  });
  expect(back.body.name[0].family).toBe('Two');
});

test('with the replica stopped every request is answered, and it is used again once back', async () => {
  await cluster.stopReplica();
  try {
    for (let i = 0; i < 5; i++) {
      const search = await call(b, '/PlanDefinition?_count=2', { client: 'reader-3' });
      expect(search.status).toBe(200);
      expect(pool(search)).toBe('primary');
    }
  } finally {
    await cluster.startReplica();
  }
  await eventually('the replica to serve again', async () => (pool(await call(b, '/PlanDefinition?_count=2', { client: 'reader-3' })) === 'replica-1' ? true : undefined));
});

test('with the primary stopped reads and searches answer from the replica, writes 503 with Retry-After, and writes work again once it is back', async () => {
  const created = await call(a, '/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Kept' }] }), client: 'writer-3' });
  await cluster.waitForReplay();
  await cluster.stopPrimary();
  try {
    for (const server of [a, b]) {
      const read = await call(server, `/Patient/${created.body.id}`, { client: 'writer-3' });
      expect(read.status).toBe(200);
      expect(pool(read)).toBe('replica-1');
      const search = await call(server, '/PlanDefinition?_count=2', { client: 'reader-4' });
      expect(search.status).toBe(200);
      const write = await call(server, '/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient' }), client: 'writer-3' });
      expect(write.status).toBe(503);
      expect(write.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(write.body.resourceType).toBe('OperationOutcome');
    }
  } finally {
    await cluster.startPrimary();
  }
  for (const server of [a, b]) {
    await eventually('writes to work again', async () => {
      const write = await call(server, '/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient' }), client: 'writer-3' });
      return write.status === 201 ? true : undefined;
    });
  }
});

test('the rate limit is shared: two instances together let a client through the limit once, not twice', async () => {
  const limit = 20;
  const env = { AUTH: 'on', RATE_LIMIT_PER_MINUTE: String(limit), RATE_LIMIT_STORE: 'database' };
  const [c, d] = await Promise.all([startInstance(env), startInstance(env)]);
  // The counter is per calendar minute: keep the whole run inside one.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await sleep(60_000 - intoMinute + 100);
  const statuses = async (server: RunningServer, n: number) => {
    const seen: number[] = [];
    // Prefer keeps these off the library cache: each request does as much work as a real search.
    for (let i = 0; i < n; i++) seen.push((await call(server, '/PlanDefinition?_count=1', { headers: { prefer: 'handling=lenient' } })).status);
    return seen;
  };
  const first = await statuses(c, 15);
  expect(first.every((s) => s === 200)).toBe(true);
  const second = await statuses(d, 15);
  const allowed = [...first, ...second].filter((s) => s === 200).length;
  expect(second.filter((s) => s === 429).length).toBeGreaterThan(0);
  // At most the limit plus the hits that arrive while one flush is in flight on the second
  // instance (a few on a loaded machine); each instance counting alone would allow all 30.
  expect(allowed).toBeGreaterThanOrEqual(limit);
  expect(allowed).toBeLessThanOrEqual(limit + 5);
  const refused = await call(d, '/PlanDefinition?_count=1');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
});

test('the library cache: a library write through instance A is read through instance B as soon as the notification arrives, though B had it cached', async () => {
  const valueSet = (title: string) => ({ resourceType: 'ValueSet', id: 'cluster-cache', status: 'active', title, url: 'https://patient-education.dev/fhir/ValueSet/cluster-cache' });
  expect((await call(a, '/ValueSet/cluster-cache', { method: 'PUT', body: JSON.stringify(valueSet('First')) })).status).toBe(201);
  // B caches it once the notification of that write has reached it (and its LISTEN session is up).
  const cached = await eventually('instance B to serve it from its cache', async () => {
    const answer = await call(b, '/ValueSet/cluster-cache');
    return answer.headers.get('x-library-cache') === 'hit' ? answer : undefined;
  });
  expect(cached.body.title).toBe('First');
  expect((await call(a, '/ValueSet/cluster-cache', { method: 'PUT', body: JSON.stringify(valueSet('Second')) })).status).toBe(200);
  // The change notification takes milliseconds; B's cache has no expiry of its own (and the
  // shared-state refresh, every 5 s, does not touch it), so without it B would answer 'First' for good.
  const fresh = await eventually(
    'instance B to drop its cached copy on the notification',
    async () => {
      const answer = await call(b, '/ValueSet/cluster-cache');
      return answer.body.title === 'Second' ? answer : undefined;
    },
    2_000,
  );
  expect(fresh.headers.get('etag')).toBe('W/"2"');
});
