import type { SearchParameterDefinition } from '../search-parameter-registry';
import type { IndexValues } from '../index-values';
import type { Filter } from '../search-request';

/** One search parameter of a request, as its type's parser receives it. */
export interface FilterInput {
  /** The parameter's code (`code` of `code:modifier`). */
  code: string;
  /** The name as written, for the OperationOutcome's expression (`code:modifier`). */
  name: string;
  modifier: string | undefined;
  /** The ORed values, still escaped (R4 search.html#escaping). */
  values: string[];
  definition: SearchParameterDefinition;
  /** Base URL of this server: absolute references to it are read as relative ones. */
  baseUrl: string;
  isResourceType: (type: string) => boolean;
}

/** The FHIRPath results of one parameter on one resource, as its type's extractor receives them. */
export interface ExtractionInput {
  param: SearchParameterDefinition;
  results: unknown[];
  /** Evaluates another expression (a composite's components) on a result. */
  evaluate: (expression: string, input: unknown) => unknown[];
  /** Keys of a value of the given type as a composite's component (SearchParameterType.componentKeys). */
  componentKeys: (type: string, value: unknown) => string[];
}

/**
 * The FHIR side of one search-parameter type (SearchParameter.type), without SQL: how a search
 * value and its modifiers parse into a filter, and which index values a resource gives. Its SQL
 * side (rows, WHERE, ORDER BY) is the module of the same name in store/search/types/.
 */
export interface SearchParameterType<F extends Filter = Filter> {
  /** Parses one parameter of this type; throws FhirError(400) on a bad value or modifier. */
  parse(input: FilterInput): F;
  /** Adds a resource's index values of one parameter of this type to `into`. */
  extract(input: ExtractionInput, into: IndexValues): void;
  /** Keys under which a value of this type matches as a composite's component (by equality). */
  componentKeys?(value: unknown): string[];
  /** Whether `_sort` may name a parameter of this type. */
  sortable: boolean;
}

/** Component keys of a plain value (a code, a date, a number as written): the value as text. */
export function scalarComponentKeys(value: unknown): string[] {
  return typeof value === 'string' || typeof value === 'number' ? [String(value)] : [];
}

/** A JSON string that is not empty, else null (how index values record an absent part). */
export function textOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
