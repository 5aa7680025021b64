import type { Filter, SearchRequest } from './search-request';

/**
 * The resource types whose stored rows a search reads, when that is only the types it searches:
 * its filters test the searched resources' own index rows. Undefined when it may read rows of
 * other types too: includes, chains, `_has`, and token filters that expand a ValueSet or a code
 * hierarchy (they read CodeSystems and ValueSets).
 *
 * A transaction that holds writes back (store/write-buffer.ts) must write them before a search
 * that could see them; with this it skips that when it holds none of these types (a
 * QuestionnaireResponse's lookup of its Questionnaire while the transaction holds Patients and Tasks).
 */
export function typesReadBy(request: SearchRequest): readonly string[] | undefined {
  if (request.resourceTypes.length === 0 || request.includes.length > 0) return undefined;
  return request.filters.every(readsOnlyItsOwnRows) ? request.resourceTypes : undefined;
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
