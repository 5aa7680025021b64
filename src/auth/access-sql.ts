import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Filter } from '../fhir/search/search-request';
import type { DatabaseSchema } from '../store/schema';
import { and, compileFilter } from '../store/search/compile-filter';
import type { Access } from './access-policy';
import { compartmentParams } from './patient-compartment';

/**
 * SQL conditions for access checks, on a row `r` of `resource`. They reuse the search
 * compiler for granular scopes, so `patient/Task.rs?status=requested` means exactly what
 * the search `Task?status=requested` means. Every value is bound.
 */
type Condition = RawBuilder<unknown>;
type Db = Kysely<DatabaseSchema>;

const TRUE = sql`true`;
const FALSE = sql`false`;

function or(conditions: Condition[]): Condition {
  if (conditions.length === 0) return FALSE;
  if (conditions.length === 1) return conditions[0];
  return sql`(${sql.join(conditions, sql` or `)})`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `r` is in the compartment of Patient/`patient`: referenced through a compartment parameter (local references only). */
export function compartmentCondition(resourceType: string, patient: string, baseUrl: string): Condition {
  const params = [...compartmentParams(resourceType)];
  const byReference =
    params.length === 0
      ? FALSE
      : sql`r.rid in (select f.rid from idx_reference f
          where f.resource_type = ${resourceType} and f.param = any(${params}) and f.target_type = 'Patient' and f.target_id = ${patient}
            and (f.url is null or f.url like ${escapeLike(baseUrl) + '/%'}))`;
  return resourceType === 'Patient' ? sql`(r.id = ${patient} or ${byReference})` : byReference;
}

/**
 * The condition for an Access on rows of one type. `filters[i]` are the parsed (and
 * terminology-expanded) filters of alternative i's granular query.
 */
export function accessCondition(resourceType: string, access: Access, filters: Filter[][], baseUrl: string): Condition {
  if (access.kind === 'all') return TRUE;
  if (access.kind === 'none') return FALSE;
  return or(
    access.alternatives.map((alt, i) =>
      and([
        ...(alt.patient !== undefined ? [compartmentCondition(resourceType, alt.patient, baseUrl)] : []),
        ...(filters[i] ?? []).map((f) => compileFilter(f, [resourceType], 'r')),
      ]),
    ),
  );
}

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
