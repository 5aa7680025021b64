import type { SearchParamType } from '../search-parameter-registry';
import { composite, type CompositeFilter, type CompositeValue } from './composite';
import { date, type DateFilter, type DateValue } from './date';
import { number, type NumberFilter, type NumberIndexValue } from './number';
import { quantity, type QuantityValue } from './quantity';
import { reference, type ReferenceFilter, type ReferenceValue } from './reference';
import type { SearchParameterType } from './search-parameter-type';
import { string, type StringFilter, type StringValue } from './string';
import { token, type TokenFilter, type TokenValue } from './token';
import { uri, type UriFilter, type UriValue } from './uri';

/**
 * Every search-parameter type the server answers (SearchParameter.type), each one module: its
 * parsing of values and modifiers and its index extraction. Their SQL (rows, WHERE, ORDER BY) is
 * the table of the same names in store/search/types/index.ts. A parameter of a type not listed
 * (`special`) is ignored as unsupported.
 */
export const SEARCH_PARAMETER_TYPES = {
  token,
  string,
  date,
  reference,
  uri,
  number,
  quantity,
  composite,
} as const satisfies Partial<Record<SearchParamType, SearchParameterType>>;

export type IndexedParamType = keyof typeof SEARCH_PARAMETER_TYPES;

/** The filters that the types' parsers give. */
export type ParameterFilter = TokenFilter | StringFilter | DateFilter | ReferenceFilter | UriFilter | NumberFilter | CompositeFilter;

/** A resource's index values, per type (a list of rows each). */
export interface IndexValuesByType {
  token: TokenValue[];
  string: StringValue[];
  date: DateValue[];
  reference: ReferenceValue[];
  uri: UriValue[];
  number: NumberIndexValue[];
  quantity: QuantityValue[];
  composite: CompositeValue[];
}

/** The module of a parameter type, or undefined for a type the server does not search (`special`). */
export function searchParameterType(type: string): SearchParameterType | undefined {
  return Object.hasOwn(SEARCH_PARAMETER_TYPES, type) ? (SEARCH_PARAMETER_TYPES[type as IndexedParamType] as SearchParameterType) : undefined;
}
