/** Small helpers for FHIR JSON values seen as `unknown`. */

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The FHIR primitive type names (R4). A choice suffix `valueString` names type `string`. */
export const PRIMITIVE_TYPES = new Set([
  'base64Binary',
  'boolean',
  'canonical',
  'code',
  'date',
  'dateTime',
  'decimal',
  'id',
  'instant',
  'integer',
  'markdown',
  'oid',
  'positiveInt',
  'string',
  'time',
  'unsignedInt',
  'uri',
  'url',
  'uuid',
  'xhtml',
]);

/** `valueCodeableConcept` with prefix `value` → `CodeableConcept`; `valueString` → `string`. */
export function choiceSuffixType(key: string, prefix: string): string {
  const suffix = key.slice(prefix.length);
  const lowered = suffix.charAt(0).toLowerCase() + suffix.slice(1);
  return PRIMITIVE_TYPES.has(lowered) ? lowered : suffix;
}

/** The JSON key of a present choice element `prefix[x]`, e.g. `valueQuantity` for `value`. */
export function findChoiceKey(object: JsonObject, prefix: string): string | undefined {
  for (const key of Object.keys(object)) {
    if (key.length > prefix.length && key.startsWith(prefix) && /[A-Z]/.test(key.charAt(prefix.length)))
      return key;
  }
  return undefined;
}

/** FHIR `fixed[x]` semantics: exact equality, arrays in order, objects with the same keys. */
export function deepEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEquals(x, b[i]));
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => deepEquals(a[k], b[k]));
  }
  return false;
}

/**
 * FHIR `pattern[x]` semantics: every value in the pattern is present in the instance; for
 * arrays, every pattern item matches some instance item.
 */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    const items = Array.isArray(value) ? value : [value];
    return pattern.every((p) => items.some((v) => matchesPattern(v, p)));
  }
  if (isJsonObject(pattern)) {
    if (!isJsonObject(value)) return false;
    return Object.entries(pattern).every(([k, p]) => matchesPattern(value[k], p));
  }
  return value === pattern;
}
