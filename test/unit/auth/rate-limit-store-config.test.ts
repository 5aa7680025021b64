import { ConfigError, loadConfig } from '../../../src/config';

describe('where the rate limit counts (RATE_LIMIT_STORE, REDIS_URL)', () => {
  test('per process by default; in Redis once REDIS_URL is set, unless RATE_LIMIT_STORE says otherwise', () => {
    expect(loadConfig({}).rateLimitStore).toBe('memory');
    const redis = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' });
    expect([redis.rateLimitStore, redis.redisUrl, redis.redisKeyPrefix]).toEqual(['redis', 'redis://127.0.0.1:6379/2', 'fhir:']);
    expect(loadConfig({ REDIS_URL: 'rediss://cache.example.org:6380', RATE_LIMIT_STORE: 'database' }).rateLimitStore).toBe('database');
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', REDIS_KEY_PREFIX: 'site-a:' }).redisKeyPrefix).toBe('site-a:');
  });

  test('RATE_LIMIT_STORE=redis needs REDIS_URL, and REDIS_URL must be a redis URL', () => {
    expect(() => loadConfig({ RATE_LIMIT_STORE: 'redis' })).toThrow(ConfigError);
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL must start with redis:\/\//);
    expect(() => loadConfig({ RATE_LIMIT_STORE: 'memcached' })).toThrow(/memory, database or redis/);
  });
});
