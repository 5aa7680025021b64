import { INDEX_KEY_MAX_BYTES, indexKey, isShortenedKey } from '../../../src/fhir/search/index-key';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('indexKey', () => {
  test('a value within the limit is its own key', () => {
    const fits = 'é'.repeat(INDEX_KEY_MAX_BYTES / 2);
    expect(indexKey(fits)).toBe(fits);
    expect(isShortenedKey(fits)).toBe(false);
    expect(indexKey(null)).toBeNull();
  });

  test('a longer value is keyed by its shortest leading part over the limit and a digest', () => {
    for (const char of ['x', 'é', '語', '😀']) {
      const value = char.repeat(5000);
      const key = indexKey(value);
      expect(isShortenedKey(value)).toBe(true);
      const digest = key.slice(-64);
      expect(digest).toMatch(/^[0-9a-f]{64}$/);
      const lead = key.slice(0, -64);
      expect(value.startsWith(lead)).toBe(true);
      expect(bytes(lead)).toBeGreaterThan(INDEX_KEY_MAX_BYTES);
      expect(bytes(lead) - bytes(char)).toBeLessThanOrEqual(INDEX_KEY_MAX_BYTES);
    }
  });

  test('keys are equal exactly when the values are', () => {
    const shared = 'a'.repeat(2000);
    expect(indexKey(`${shared}1`)).not.toBe(indexKey(`${shared}2`));
    expect(indexKey(`${shared}1`)).toBe(indexKey(`${shared}1`));
    // A value no longer than the limit never equals a shortened key.
    expect(indexKey(shared.slice(0, INDEX_KEY_MAX_BYTES))).not.toBe(indexKey(shared));
  });
});
