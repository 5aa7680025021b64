import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { RateLimitCounter } from './rate-limit-counter';
import { TokenBucketLimiter } from './rate-limit';

interface Count {
  window: number;
  /** The total of every instance for this window, as of the last flush. */
  shared: number;
  /** Hits taken here and not yet added to the shared counter. */
  pending: number;
}

/**
 * The per-client rate limit held across server instances: requests per client and calendar
 * minute, counted in a shared counter (PostgreSQL's rate_limit_counter, or Redis). A request is decided at once from
 * what this instance knows (the shared total at its last flush plus its own hits since); its
 * hit is added to the shared counter right away, in one statement with every other hit that
 * arrived meanwhile (a flush is always running while hits wait, one at a time). So every instance
 * learns the others' hits within one database round trip, and N instances together let through
 * at most the limit plus the hits that arrive during one flush on each.
 * Without the counter (it is down) each instance goes on counting on its own.
 */
export class SharedRateLimiter extends TokenBucketLimiter {
  private readonly counts = new Map<string, Count>();
  private flushing: Promise<void> | undefined;
  private lastWindowSwept = 0;
  /** Flushes run outside any request's context (they are not part of the request whose hit started them). */
  private readonly root = new AsyncResource('SharedRateLimiter');

  constructor(
    private readonly limit: number,
    private readonly counter: RateLimitCounter,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    super(limit, clock);
  }

  override take(key: string): number | undefined {
    if (this.limit <= 0) return undefined;
    const now = this.clock();
    const window = Math.floor(now / 60_000);
    let count = this.counts.get(key);
    if (count === undefined || count.window !== window) {
      count = { window, shared: 0, pending: 0 };
      this.counts.set(key, count);
    }
    if (count.shared + count.pending >= this.limit) return Math.max(1, Math.ceil(((window + 1) * 60_000 - now) / 1000));
    count.pending += 1;
    if (this.flushing === undefined) this.root.runInAsyncScope(() => void this.flush());
    return undefined;
  }

  private flush(): Promise<void> {
    this.flushing = (async () => {
      for (;;) {
        const batch = [...this.counts].filter(([, c]) => c.pending > 0).map(([key, c]) => ({ key, window: c.window, hits: c.pending, count: c }));
        if (batch.length === 0) break;
        for (const row of batch) row.count.pending -= row.hits;
        try {
          const totals = await this.counter.add(batch);
          for (const row of batch) row.count.shared = Math.max(row.count.shared, totals.get(row.key) ?? 0);
          await this.forgetPastWindows(batch[0].window);
        } catch (error) {
          // The counter is unreachable: keep the hits as this instance's own and stop until the next one.
          for (const row of batch) row.count.shared += row.hits;
          this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'shared rate limit counter unavailable; counting locally');
          break;
        }
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Once a minute: forget past windows, here and in the counter. */
  private async forgetPastWindows(window: number): Promise<void> {
    if (window === this.lastWindowSwept) return;
    this.lastWindowSwept = window;
    for (const [key, count] of this.counts) if (count.window < window && count.pending === 0) this.counts.delete(key);
    await this.counter.dropBefore(window - 1);
  }

  async close(): Promise<void> {
    await this.flushing;
    await this.counter.close?.();
  }
}
