import type { Filter } from '../../fhir/search/search-request';
import type { ParameterFilter } from '../../fhir/search/types';
import { searchTypeStorage } from './types';

/**
 * Whether the collected page of a search with these filters may run under a generic plan (one
 * made without the bound values, kept after five runs of a named statement; see
 * store/prepared-statements.ts). Only where every plan is cheap: a single filter that is an
 * equality on an indexed key (token code, reference target, id, uri such as a canonical `url`;
 * each type's `mayUseGenericPlan`).
 * Its plan walks that key's index and stops after COLLECTED_MATCHES_LIMIT + 1 matches, whatever
 * the value.
 *
 * Not: two or more filters (a generic plan cannot see which of them is selective and may drive
 * from the broad one: `procedure=…&type=…` took 35 ms instead of 0.1 ms on a 1M store); string
 * filters (`like $1` cannot use an index without the pattern); ranges (dates, numbers), whose
 * selectivity is all in the values; negations, chains, `_has`, full text and `:missing`.
 */
export function mayUseGenericPlan(filters: Filter[]): boolean {
  if (filters.length !== 1) return false;
  const [filter] = filters;
  if (filter.kind === 'id') return !filter.not && filter.values.length > 0;
  // A parameter of a search-parameter type: as its module says (store/search/types/).
  return searchTypeStorage(filter.kind)?.mayUseGenericPlan?.(filter as ParameterFilter) ?? false;
}
