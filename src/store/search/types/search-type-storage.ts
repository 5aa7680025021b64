import type { Condition } from '../sql-conditions';

/** A column of an index table after (rid, resource_type, param): its name, SQL type and value. */
export type IndexColumn<V> = readonly [name: string, type: string, value: (v: V) => unknown];

/** The index rows of a type: one row per index value in `table`. */
export interface IndexRows<V> {
  table: string;
  columns: readonly IndexColumn<V>[];
}

/**
 * How a resource is ordered by a parameter: an aggregate of `x`, its rows in the index table
 * (one value per resource), the value's SQL type and the value standing in for none.
 */
export interface SortSource {
  ascending: string;
  descending: string;
  cast: string;
  empty: string;
}

/** The columns every index row starts with. */
export interface IndexRowBase {
  rid: string;
  resource_type: string;
  param: string;
}

/**
 * The SQL side of one search-parameter type: its index rows, the WHERE of its filters and its
 * ORDER BY. Its FHIR side (parsing, index values) is the module of the same name in
 * fhir/search/types/.
 */
export interface SearchTypeStorage<F, V> {
  rows: IndexRows<V>;
  /** The condition that the resource `rid` (of one of `types`) matches the filter. */
  where(filter: F, types: string[], rid: Condition): Condition;
  /** The condition that the resource has a value for the parameter (`:missing`); by default, an index row. */
  present?(param: string, types: string[], rid: Condition): Condition;
  /** Undefined: `_sort` cannot name the type. */
  sort?: SortSource;
  /**
   * Whether a search whose only filter is this one may run under a generic plan (generic-plan.ts):
   * only an equality on an indexed key, whose plan is cheap whatever the value. By default not.
   */
  mayUseGenericPlan?(filter: F): boolean;
}

/** A `numeric` column's value, bound as text. */
export const numeric = (n: number) => String(n);
