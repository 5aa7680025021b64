import type { IndexValuesByType, IndexedParamType, ParameterFilter } from '../../../fhir/search/types';
import { composite, type CompositeIndexTable } from './composite';
import { date, type DateIndexTable } from './date';
import { number, type NumberIndexTable } from './number';
import { quantity, type QuantityIndexTable } from './quantity';
import { reference, type ReferenceIndexTable } from './reference';
import type { SearchTypeStorage } from './search-type-storage';
import { string, type StringIndexTable } from './string';
import { token, type TokenIndexTable } from './token';
import { uri, type UriIndexTable } from './uri';

/** The filters of kind K (number and quantity share one). */
type FilterOfKind<K, F = ParameterFilter> = F extends { kind: infer Kind } ? (K extends Kind ? F : never) : never;
type StorageOf<K extends IndexedParamType> = SearchTypeStorage<FilterOfKind<K>, IndexValuesByType[K][number]>;

/**
 * The SQL of every search-parameter type: its index rows, WHERE and ORDER BY. The same types,
 * in the same order, as fhir/search/types/index.ts (their parsing and index values); the order
 * is the order the index rows are written in.
 */
export const SEARCH_TYPE_STORAGE: { readonly [K in IndexedParamType]: StorageOf<K> } = {
  token,
  string,
  date,
  reference,
  uri,
  number,
  quantity,
  composite,
};

/** The index tables of the types, for Kysely (store/schema.ts). */
export interface SearchIndexTables {
  idx_token: TokenIndexTable;
  idx_string: StringIndexTable;
  idx_date: DateIndexTable;
  idx_reference: ReferenceIndexTable;
  idx_uri: UriIndexTable;
  idx_number: NumberIndexTable;
  idx_quantity: QuantityIndexTable;
  idx_composite: CompositeIndexTable;
}

/** The SQL of a parameter type, or undefined for a type the server does not search (`special`). */
export function searchTypeStorage(type: string): SearchTypeStorage<ParameterFilter, unknown> | undefined {
  return Object.hasOwn(SEARCH_TYPE_STORAGE, type) ? (SEARCH_TYPE_STORAGE[type as IndexedParamType] as SearchTypeStorage<never, never> as SearchTypeStorage<ParameterFilter, unknown>) : undefined;
}
