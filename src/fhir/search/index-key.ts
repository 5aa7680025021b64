import { createHash } from 'node:crypto';
import { FhirError } from '../fhir-error';

/**
 * The longest value, in UTF-8 bytes, that a search index keeps whole in a B-tree key (a
 * PostgreSQL B-tree entry holds at most about 2,700 bytes, and idx_translation keys four
 * such values).
 */
export const INDEX_KEY_MAX_BYTES = 512;

/** Length in hex characters of the digest that ends a shortened key. */
const DIGEST_CHARS = 64;

function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * The value as an index key: itself when it fits INDEX_KEY_MAX_BYTES, otherwise its shortest
 * leading part longer than the limit followed by the SHA-256 of the whole value. So
 * - two keys are equal exactly when the values are: equality searches key their value the same
 *   way, and joins between index tables stay exact;
 * - a value within the limit is a prefix of a key exactly when it is a prefix of the whole value
 *   (starts-with and :below stay exact).
 */
export function indexKey(value: string): string;
export function indexKey(value: string | null): string | null;
export function indexKey(value: string | null): string | null {
  if (value === null || !isShortenedKey(value)) return value;
  let bytes = 0;
  let end = 0;
  for (const char of value) {
    bytes += utf8Bytes(char);
    end += char.length;
    if (bytes > INDEX_KEY_MAX_BYTES) break;
  }
  return value.slice(0, end) + createHash('sha256').update(value, 'utf8').digest('hex').slice(0, DIGEST_CHARS);
}

/** True when indexKey shortens the value (a UTF-16 unit is at most 3 UTF-8 bytes). */
export function isShortenedKey(value: string): boolean {
  return value.length * 3 > INDEX_KEY_MAX_BYTES && utf8Bytes(value) > INDEX_KEY_MAX_BYTES;
}

/**
 * `:below` compares leading parts of the index keys, which stand for the whole value only up to
 * the limit: a longer `:below` value answers 400.
 */
export function assertBelowValueFits(value: string, name: string): void {
  if (isShortenedKey(value)) {
    throw FhirError.badRequest(`A ${name} value is limited to ${INDEX_KEY_MAX_BYTES} bytes (UTF-8); this one has ${utf8Bytes(value)}`, name);
  }
}
