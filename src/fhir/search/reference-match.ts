import type { ReferenceValue } from './index-values';
import type { ReferenceFilter, ReferenceMatch } from './search-request';

/**
 * Whether a reference's index value matches one value of a reference search, exactly as the
 * store's SQL for it (compile-filter.ts, compileReference) decides: every part the search value
 * gives must be equal, and a local search value (`Type/id`) matches only a relative reference or
 * one absolute under this server's base.
 */
export function referenceMatches(value: ReferenceValue, wanted: ReferenceMatch): boolean {
  if (wanted.id !== undefined && value.targetId !== wanted.id) return false;
  if (wanted.targetType !== undefined && value.targetType !== wanted.targetType) return false;
  if (wanted.url !== undefined && value.url !== wanted.url) return false;
  if (wanted.version !== undefined && value.version !== wanted.version) return false;
  if (wanted.localBase !== undefined && value.url !== null && !value.url.startsWith(`${wanted.localBase}/`)) return false;
  return true;
}

/** Whether any of a resource's reference index values matches the filter (its parameter, any of its values). */
export function matchesReferenceFilter(values: readonly ReferenceValue[], filter: ReferenceFilter): boolean {
  const params = filter.anyOfParams ?? [filter.param];
  const found = values.some((v) => params.includes(v.param) && filter.values.some((wanted) => referenceMatches(v, wanted)));
  return filter.not ? !found : found;
}
