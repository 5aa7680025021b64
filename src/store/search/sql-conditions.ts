import { sql, type RawBuilder } from 'kysely';
import { column } from './sql-column';

/** A SQL condition of the search compiler (values bound). */
export type Condition = RawBuilder<unknown>;

export const TRUE = sql`true`;
export const FALSE = sql`false`;

/** `name = type` for one resource type, `name = any(types)` for several. */
export function typeCondition(name: string, types: string[]): Condition {
  return types.length === 1 ? sql`${column(name)} = ${types[0]}` : sql`${column(name)} = any(${types})`;
}

export function or(conditions: Condition[]): Condition {
  if (conditions.length === 0) return FALSE;
  if (conditions.length === 1) return conditions[0];
  return sql`(${sql.join(conditions, sql` or `)})`;
}

export function and(conditions: Condition[]): Condition {
  if (conditions.length === 0) return TRUE;
  if (conditions.length === 1) return conditions[0];
  return sql`(${sql.join(conditions, sql` and `)})`;
}

/** `%`, `_` and `\` are literal in the search value. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The resource `rid` has a row for `param` in the index table `table` (`:missing=false`). */
export function hasIndexRow(table: string, param: string, types: string[], rid: Condition): Condition {
  return sql`${rid} in (select m.rid from ${sql.table(table)} m where ${typeCondition('m.resource_type', types)} and m.param = ${param})`;
}
