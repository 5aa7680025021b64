import type { SearchParamType } from './search-parameter-registry';

/**
 * A parsed search, independent of SQL: the tree that store/ compiles. Filters in a
 * request are ANDed; the values inside one filter are ORed (R4 search.html#combining).
 */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

export interface TokenMatch {
  /** undefined: any system; null: explicitly no system (`|code`). */
  system: string | null | undefined;
  /** undefined: any code (`system|`). */
  code: string | undefined;
}

export interface TokenFilter {
  kind: 'token';
  param: string;
  modifier: 'none' | 'not' | 'text' | 'of-type' | 'in' | 'not-in' | 'below' | 'above' | 'identifier';
  values: TokenMatch[];
  /** For :text, the normalised texts. */
  texts: string[];
  /** For :in / :not-in / :below / :above: the canonical of the ValueSet or the code to expand. */
  valueSets: string[];
  /** Also match the codes the values map onto through any stored ConceptMap (TRANSLATED_TOKEN_PARAMS). */
  translated?: boolean;
}

export interface StringFilter {
  kind: 'string';
  param: string;
  modifier: 'none' | 'exact' | 'contains';
  values: string[];
}

export interface RangeValue {
  prefix: Prefix;
  start: string;
  end: string;
}

export interface DateFilter {
  kind: 'date';
  param: string;
  values: RangeValue[];
}

export interface NumberValue {
  prefix: Prefix;
  value: number;
  low: number;
  high: number;
  /** quantity only */
  system?: string;
  code?: string;
}

export interface NumberFilter {
  kind: 'number' | 'quantity';
  param: string;
  values: NumberValue[];
}

export interface ReferenceMatch {
  targetType?: string;
  id?: string;
  url?: string;
  version?: string;
  /**
   * Set for a local search value (`id`, `Type/id`, `[base]/Type/id`): only references that
   * are relative or absolute under this base match, not `http://elsewhere/fhir/Type/id`.
   */
  localBase?: string;
}

export interface ReferenceFilter {
  kind: 'reference';
  param: string;
  values: ReferenceMatch[];
  /** Matches through any of these parameters instead of `param` alone (a compartment's parameters). */
  anyOfParams?: readonly string[];
  /** Matches the resources without such a reference (filters of the server's own, not a search syntax). */
  not?: boolean;
}

export interface UriFilter {
  kind: 'uri';
  param: string;
  modifier: 'none' | 'below' | 'above';
  values: string[];
}

export interface CompositeMatch {
  component1: string;
  component2: string;
  number?: NumberValue;
}

export interface CompositeFilter {
  kind: 'composite';
  param: string;
  values: CompositeMatch[];
}

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

export type Filter =
  | CompartmentFilter
  | TokenFilter
  | StringFilter
  | DateFilter
  | NumberFilter
  | ReferenceFilter
  | UriFilter
  | CompositeFilter
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
