import type { Redis } from 'ioredis';
import type { RateLimitHits } from './rate-limit-store';

/** Keys live two minutes: the window they count and the next, when instances may still read it. */
const KEY_TTL_MS = 120_000;

/**
 * INCRBY and PEXPIRE of every key of a flush, as one atomic script: KEYS are the counters,
 * ARGV[1] their time to live, ARGV[2…] the hits to add to each. Answers the new totals.
 */
const ADD_HITS = `
local totals = {}
for i, key in ipairs(KEYS) do
  totals[i] = redis.call('INCRBY', key, ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return totals`;

/** The per-client, per-minute rate limit counters in Redis (REDIS_URL). */
export interface RedisRateLimitStore {
  add(rows: RateLimitHits[]): Promise<Map<string, number>>;
  /** True while the client holds a working connection. */
  connected(): boolean;
  /** Why there is no client at all (the optional package is missing), if so. */
  unusable(): string | undefined;
  close(): Promise<void>;
}

/**
 * Connects to Redis with the optional package ioredis. A command waits at most a second for an
 * answer; while the connection is down the client reconnects in the background (at most every 2 s).
 */
export function openRedisRateLimitStore(url: string, keyPrefix: string): RedisRateLimitStore {
  let client: Redis | undefined;
  let closed = false;
  let unusable: string | undefined;
  const connecting: Promise<Redis> = import('ioredis').then(
    ({ Redis: RedisClient }) => {
      client = new RedisClient(url, {
        connectTimeout: 2000,
        commandTimeout: 1000,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => (closed ? null : Math.min(attempt * 200, 2000)),
      });
      // Connection errors surface as failed commands; the counter reports them.
      client.on('error', () => undefined);
      return client;
    },
    () => {
      unusable = 'REDIS_URL is set but the optional package ioredis is not installed';
      throw new Error(unusable);
    },
  );
  connecting.catch(() => undefined);
  return {
    add: async (rows) => {
      const redis = await connecting;
      const keys = rows.map((r) => `${keyPrefix}rate-limit:${r.window}:${r.key}`);
      const totals = (await redis.eval(
        ADD_HITS,
        keys.length,
        ...keys,
        KEY_TTL_MS,
        ...rows.map((r) => r.hits),
      )) as number[];
      return new Map(rows.map((r, i) => [r.key, Number(totals[i])]));
    },
    connected: () => client?.status === 'ready',
    unusable: () => unusable,
    close: async () => {
      closed = true;
      const redis = await connecting.catch(() => undefined);
      if (redis === undefined) return;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
