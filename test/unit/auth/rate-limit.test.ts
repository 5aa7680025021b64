import { TokenBucketLimiter } from '../../../src/auth/rate-limit';

describe('TokenBucketLimiter', () => {
  test('allows a minute\'s allowance at once, then refills continuously', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(60, () => now);
    for (let i = 0; i < 60; i++) expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBe(1);
    now += 1000;
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBe(1);
  });

  test('Retry-After is the whole seconds until the next token', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(6, () => now);
    for (let i = 0; i < 6; i++) limiter.take('a');
    expect(limiter.take('a')).toBe(10);
    now += 5000;
    expect(limiter.take('a')).toBe(5);
  });

  test('several tokens are taken at once or not at all (a Bundle\'s entries)', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(60, () => now);
    expect(limiter.take('a', 50)).toBeUndefined();
    expect(limiter.take('a', 20)).toBe(10);
    // The refused request took nothing: the 10 tokens left are still there.
    expect(limiter.take('a', 10)).toBeUndefined();
    expect(limiter.take('a')).toBe(1);
    now += 60_000;
    // More than a minute's allowance costs the whole minute.
    expect(limiter.take('a', 1000)).toBeUndefined();
    expect(limiter.take('a')).toBe(1);
  });

  test('keys are independent and 0 disables the limit', () => {
    const limiter = new TokenBucketLimiter(1, () => 0);
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('b')).toBeUndefined();
    expect(limiter.take('a')).toBeDefined();
    const off = new TokenBucketLimiter(0);
    for (let i = 0; i < 1000; i++) expect(off.take('a')).toBeUndefined();
  });

  test('memory stays bounded: idle buckets are dropped when the table is full', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(10, () => now, 100);
    for (let i = 0; i < 100; i++) limiter.take(`k${i}`);
    now += 60_000;
    for (let i = 100; i < 300; i++) limiter.take(`k${i}`);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(100);
  });
});
