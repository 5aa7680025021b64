/**
 * Per-client rate limit: one token bucket per key (client or IP), holding at most a
 * minute's allowance and refilled continuously. In memory, per process.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private readonly refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /**
   * Takes `cost` tokens at once (a Bundle's entries), or none: undefined when allowed, else the
   * whole seconds until they are back. A cost over a minute's allowance costs the whole minute.
   */
  take(key: string, cost = 1): number | undefined {
    if (this.perMinute <= 0) return undefined;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      bucket = { tokens: this.perMinute, updatedAt: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
      bucket.updatedAt = now;
    }
    const wanted = Math.min(cost, this.perMinute);
    if (wanted <= 0) return undefined;
    if (bucket.tokens >= wanted) {
      bucket.tokens -= wanted;
      return undefined;
    }
    return Math.max(1, Math.ceil((wanted - bucket.tokens) / this.refillPerMs / 1000));
  }

  /** Forgets the buckets that would be full again anyway (idle a minute or more). */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (now - bucket.updatedAt >= 60_000) this.buckets.delete(key);
    // Still full of active keys: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) {
      const keys = [...this.buckets.keys()].slice(0, Math.floor(this.maxKeys / 2));
      for (const key of keys) this.buckets.delete(key);
    }
  }
}
