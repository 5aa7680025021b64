import { FhirError } from '../fhir-error';

/** Opaque keyset position carried in `_cursor`: the sort keys of a row and the direction. */
export interface Cursor {
  keys: string[];
  backwards: boolean;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ k: cursor.keys, b: cursor.backwards ? 1 : 0 })).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { k?: unknown; b?: unknown };
    if (!Array.isArray(parsed.k) || !parsed.k.every((k) => typeof k === 'string')) throw new Error('bad keys');
    return { keys: parsed.k as string[], backwards: parsed.b === 1 };
  } catch {
    throw FhirError.badRequest('The paging cursor is not valid; start again from the first page', '_cursor');
  }
}
