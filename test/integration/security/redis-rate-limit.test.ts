import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { ENGINE, startTestServer, type TestServer } from '../../support/test-server';

/**
 * The rate limit shared through Redis (REDIS_URL): two instances on one database let a client
 * through the limit once, not twice; with Redis unreachable the limit is counted in the database.
 * Needs the Redis of .ci/run at 127.0.0.1:6379. On PGlite each instance has a database of its
 * own, so there only Redis can share the count.
 */
jest.setTimeout(120_000);

const REDIS_URL = 'redis://127.0.0.1:6379/5';
const LIMIT = 20;
const servers: TestServer[] = [];
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { lazyConnect: true });
});

afterAll(async () => {
  for (const server of servers.reverse()) await server.close();
  await redis.quit();
});

/** Two instances on one database (on PGlite, one database each), sharing these settings. */
async function twoInstances(env: Record<string, string>, logger?: pino.Logger): Promise<[TestServer, TestServer]> {
  const settings = { AUTH: 'on', RATE_LIMIT_PER_MINUTE: String(LIMIT), ...env };
  const first = await startTestServer({ env: settings, logger });
  servers.push(first);
  const second = await startTestServer({ env: settings, logger, databaseUrl: ENGINE === 'postgres' ? first.databaseUrl : undefined });
  servers.push(second);
  return [first, second];
}

/** The counters are per calendar minute: start a run early enough to end inside the same one. */
async function startOfARun(): Promise<number> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 100));
  return Math.floor(Date.now() / 60_000);
}

async function statuses(server: TestServer, n: number): Promise<number[]> {
  const seen: number[] = [];
  // Prefer keeps these off the library cache: each request runs the search.
  for (let i = 0; i < n; i++) seen.push((await server.fetch('/PlanDefinition?_count=1', { headers: { prefer: 'handling=lenient' } })).status);
  return seen;
}

/** 15 anonymous requests to each instance in turn: the second sees the first's hits. */
async function expectOneLimitForBoth(c: TestServer, d: TestServer): Promise<void> {
  const first = await statuses(c, 15);
  expect(first.every((s) => s === 200)).toBe(true);
  const second = await statuses(d, 15);
  const allowed = [...first, ...second].filter((s) => s === 200).length;
  // At most the limit plus the hits that arrive while one flush is in flight on the second
  // instance (a few on a loaded machine); each instance counting alone would allow all 30.
  expect(allowed).toBeGreaterThanOrEqual(LIMIT);
  expect(allowed).toBeLessThanOrEqual(LIMIT + 5);
  const refused = await d.fetch('/PlanDefinition?_count=1');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(refused.body.resourceType).toBe('OperationOutcome');
}

test('REDIS_URL: two instances count a client in Redis together, so the limit is not doubled', async () => {
  const prefix = `test-${randomBytes(4).toString('hex')}:`;
  const [c, d] = await twoInstances({ REDIS_URL, REDIS_KEY_PREFIX: prefix });
  const window = await startOfARun();
  await expectOneLimitForBoth(c, d);
  // The count is in Redis, under the deployment's prefix, and expires by itself.
  const keys = await redis.keys(`${prefix}rate-limit:${window}:*`);
  expect(keys).toHaveLength(1);
  expect(Number(await redis.get(keys[0]))).toBeGreaterThanOrEqual(LIMIT);
  expect(await redis.pttl(keys[0])).toBeGreaterThan(0);
});

test('with Redis unreachable the limit is counted in the database, and the switch is logged', async () => {
  let log = '';
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        log += chunk.toString();
        done();
      },
    }),
  );
  // A port nothing listens on.
  const [c, d] = await twoInstances({ REDIS_URL: 'redis://127.0.0.1:1/0' }, logger);
  await startOfARun();
  if (ENGINE === 'postgres') await expectOneLimitForBoth(c, d);
  else {
    // Each PGlite instance has its own database: one instance alone keeps to the limit.
    const seen = await statuses(c, LIMIT + 10);
    expect(seen.filter((s) => s === 200).length).toBeLessThanOrEqual(LIMIT + 5);
    expect(seen.at(-1)).toBe(429);
  }
  expect(log).toContain('Redis unavailable; the rate limit counts in PostgreSQL until it is back');
});
