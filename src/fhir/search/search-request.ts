import type { SearchParamType } from './search-parameter-registry';
import type { RangeValue } from './types/date';
import type { ParameterFilter } from './types';

export type { TokenFilter, TokenMatch } from './types/token';
export type { StringFilter } from './types/string';
export type { DateFilter, RangeValue } from './types/date';
export type { NumberFilter, NumberValue } from './types/number';
export type { ReferenceFilter, ReferenceMatch } from './types/reference';
export type { UriFilter } from './types/uri';
export type { CompositeFilter, CompositeMatch } from './types/composite';

/**
 * A parsed search, independent of SQL: the tree that store/ compiles. Filters in a
 * request are ANDed; the values inside one filter are ORed (R4 search.html#combining).
 */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export interface MissingFilter {
  kind: 'missing';
  param: string;
  paramType: SearchParamType;
  missing: boolean;
}

export interface IdFilter {
  kind: 'id';
  values: string[];
  not: boolean;
}

export interface LastUpdatedFilter {
  kind: 'lastUpdated';
  values: RangeValue[];
}

export interface FullTextFilter {
  kind: 'fulltext';
  field: 'narrative' | 'content';
  values: string[];
}

/** `ref:Type.param=value`: the referenced resource matches `filter`. */
export interface ChainFilter {
  kind: 'chain';
  param: string;
  targetTypes: string[];
  filter: Filter;
  /** References resolve to local resources only when relative or under this base. */
  localBase: string;
}

/** `_has:Type:ref:param=value`: some Type referencing this resource by `ref` matches. */
export interface HasFilter {
  kind: 'has';
  sourceType: string;
  referenceParam: string;
  filter: Filter;
  /** References resolve to local resources only when relative or under this base. */
  localBase: string;
}

/** Membership of a compartment: a reference to `targetType/id` through any of `params` (`self`: or being it). */
export interface CompartmentFilter {
  kind: 'compartment';
  params: string[];
  targetType: string;
  id: string;
  self: boolean;
  /** References count only when relative or under this base. */
  localBase: string;
}

/** A parameter of a search-parameter type (types/index.ts) or one of the search's own filters. */
export type Filter =
  | CompartmentFilter
  | ParameterFilter
  | MissingFilter
  | IdFilter
  | LastUpdatedFilter
  | FullTextFilter
  | ChainFilter
  | HasFilter;

export interface SortKey {
  param: string;
  /** '_id', '_lastUpdated' or the parameter's type. */
  paramType: SearchParamType | '_id' | '_lastUpdated';
  descending: boolean;
}

export interface IncludeRequest {
  sourceType: string;
  /** undefined for `*` */
  param: string | undefined;
  targetType: string | undefined;
  iterate: boolean;
  reverse: boolean;
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false';

export interface SearchRequest {
  /** The types searched (one for a type search; several for `_type` at the base). */
  resourceTypes: string[];
  filters: Filter[];
  sort: SortKey[];
  count: number;
  total: 'none' | 'estimate' | 'accurate' | undefined;
  summary: SummaryMode | undefined;
  elements: string[] | undefined;
  includes: IncludeRequest[];
  /** Opaque keyset cursor of the page asked for. */
  cursor: string | undefined;
  /** The parameters as applied, for the self link (name, value) in order. */
  applied: [string, string][];
}
