import { sql, type Kysely } from 'kysely';
import type { Filter } from '../fhir/search/search-request';
import { and, compileFilter } from './search/compile-filter';
import { type Condition, or } from './access-sql';
import type { DatabaseSchema } from './schema';

/** The statements of the access checks, run by the Repository's system view (store/repository.ts). */
type Db = Kysely<DatabaseSchema>;

/** Ids of the live resources of a type meeting a condition; at most `limit` (+1 to detect overflow). */
export async function selectIds(db: Db, resourceType: string, condition: Condition, limit: number): Promise<string[]> {
  const result = await sql<{ id: string }>`
    select r.id from resource r
    where r.resource_type = ${resourceType} and not r.deleted and ${condition}
    limit ${limit + 1}`.execute(db);
  return result.rows.map((row) => row.id);
}

/** Which of `ids` (of one type) meet a condition. */
export async function selectMatchingIds(db: Db, resourceType: string, ids: string[], condition: Condition): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await sql<{ id: string }>`
    select r.id from resource r
    where r.resource_type = ${resourceType} and r.id = any(${ids}) and not r.deleted and ${condition}`.execute(db);
  return new Set(result.rows.map((row) => row.id));
}

/** Type and id of live resources of several types meeting a filter and a per-type condition. */
export async function selectTypedIds(
  db: Db,
  types: string[],
  filter: Filter,
  conditionOf: (resourceType: string) => Condition,
  limit: number,
): Promise<{ resourceType: string; id: string }[]> {
  const perType = or(types.map((t) => and([sql`r.resource_type = ${t}`, conditionOf(t)])));
  const result = await sql<{ resource_type: string; id: string }>`
    select r.resource_type, r.id from resource r
    where r.resource_type = any(${types}) and not r.deleted and ${compileFilter(filter, types, 'r')} and ${perType}
    limit ${limit + 1}`.execute(db);
  return result.rows.map((row) => ({ resourceType: row.resource_type, id: row.id }));
}

/** The stored row of a resource meets a condition (its index rows are those of the current version). */
export async function rowMeets(db: Db, resourceType: string, id: string, condition: Condition): Promise<boolean> {
  const result = await sql<{ one: number }>`
    select 1 as one from resource r where r.resource_type = ${resourceType} and r.id = ${id} and ${condition}`.execute(db);
  return result.rows.length > 0;
}
