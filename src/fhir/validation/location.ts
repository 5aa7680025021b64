import { findChoiceKey, isJsonObject } from './json-values';

/**
 * Rewrites the choice segments of a location (`Observation.value[x]`, as @medplum/core reports
 * them) to the JSON property actually present (`Observation.valueQuantity`), so that every
 * issue's expression is a FHIRPath a client can evaluate against what it sent.
 * Segments that cannot be followed are left as they are.
 */
export function resolveChoiceLocation(resource: unknown, location: string): string {
  if (!location.includes('[x]')) return location;
  const segments = location.split('.');
  let current: unknown = resource;
  const out: string[] = [segments[0]];
  for (const segment of segments.slice(1)) {
    const match = /^(_?[A-Za-z0-9]+?)(\[x\])?(?:\[(\d+)\])?$/.exec(segment);
    if (!match || !isJsonObject(current)) {
      out.push(segment);
      current = undefined;
      continue;
    }
    const [, name, choice, index] = match;
    const key = choice ? findChoiceKey(current, name) : name;
    if (!key) {
      out.push(segment);
      current = undefined;
      continue;
    }
    out.push(index === undefined ? key : `${key}[${index}]`);
    const next = current[key];
    current = index === undefined ? next : Array.isArray(next) ? next[Number(index)] : undefined;
  }
  return out.join('.');
}
