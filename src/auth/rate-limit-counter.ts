import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { addRateLimitHits, dropRateLimitWindowsBefore, type RateLimitHits } from '../store/rate-limit-store';
import type { RedisRateLimitStore } from '../store/redis-rate-limit-store';

/** Where every instance adds its hits per client and minute: answers each key's total for its window. */
export interface RateLimitCounter {
  add(rows: RateLimitHits[]): Promise<Map<string, number>>;
  /** Forgets the counters of windows before this one (where they do not expire by themselves). */
  dropBefore(window: number): Promise<void>;
  close?(): Promise<void>;
}

/** The counter in PostgreSQL (table rate_limit_counter). */
export function databaseRateLimitCounter(database: Database): RateLimitCounter {
  return {
    add: (rows) => addRateLimitHits(database, rows),
    dropBefore: (window) => dropRateLimitWindowsBefore(database, window),
  };
}

/**
 * The counter in Redis, and PostgreSQL's while Redis cannot be reached: the limit stays shared by
 * every instance through an outage of Redis (each counts alone only when both are gone). No flush
 * waits for a connection: while the client is not connected (it reconnects in the background),
 * hits go to PostgreSQL.
 * Hits counted in one during a switch are not seen by the other, so a client may get through up to
 * the limit once more in the minute of the switch.
 */
export class RedisRateLimitCounter implements RateLimitCounter {
  private down = false;

  constructor(
    private readonly redis: RedisRateLimitStore,
    private readonly fallback: RateLimitCounter,
    private readonly logger: Logger,
  ) {}

  async add(rows: RateLimitHits[]): Promise<Map<string, number>> {
    if (this.redis.connected()) {
      try {
        const totals = await this.redis.add(rows);
        if (this.down) this.logger.info('Redis is back; the rate limit counts there again');
        this.down = false;
        return totals;
      } catch (error) {
        this.wentDown(error instanceof Error ? error.message : String(error));
      }
    } else this.wentDown(this.redis.unusable() ?? 'not connected');
    return await this.fallback.add(rows);
  }

  private wentDown(reason: string): void {
    if (!this.down) this.logger.warn({ err: reason }, 'Redis unavailable; the rate limit counts in PostgreSQL until it is back');
    this.down = true;
  }

  async dropBefore(window: number): Promise<void> {
    // Redis keys expire by themselves; the fallback's rows are swept here.
    await this.fallback.dropBefore(window);
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}
