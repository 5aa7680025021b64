import type { Filter } from './search-request';

/**
 * The resource types whose stored rows a search reads, when that is only the types it searches:
 * its filters test the searched resources' own index rows. Undefined when it may read rows of
 * other types too: includes, chains, `_has`, and token filters that expand a ValueSet or a code
 * hierarchy (they read CodeSystems and ValueSets).
 *
 * A transaction that holds writes back (store/write-buffer.ts) writes them before a search
 * that could see them; with this it skips that when it holds none of these types (a
 * QuestionnaireResponse's lookup of its Questionnaire while the transaction holds Patients and Tasks).
 */
export function typesReadBy(search: {
  resourceTypes: readonly string[];
  filters: readonly Filter[];
  includes?: readonly unknown[];
}): readonly string[] | undefined {
  if (search.resourceTypes.length === 0 || (search.includes?.length ?? 0) > 0) return undefined;
  return search.filters.every(readsOnlyItsOwnRows) ? search.resourceTypes : undefined;
}

function readsOnlyItsOwnRows(filter: Filter): boolean {
  switch (filter.kind) {
    case 'chain':
    case 'has':
      return false;
    case 'token':
      return filter.valueSets.length === 0;
    default:
      return true;
  }
}
