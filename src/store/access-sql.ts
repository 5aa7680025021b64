import { sql, type RawBuilder } from 'kysely';
import { PATIENT_COMPARTMENT } from '../fhir/search/compartment';
import { indexKey } from '../fhir/search/index-key';
import type { Filter } from '../fhir/search/search-request';
import { and, compileFilter } from './search/compile-filter';
import type { Access } from './access-rules';

/**
 * SQL conditions for access checks, on a row `r` of `resource` (access-queries.ts runs them). They reuse the search
 * compiler for granular scopes, so `patient/Task.rs?status=requested` means exactly what
 * the search `Task?status=requested` means. Every value is bound.
 */
export type Condition = RawBuilder<unknown>;

const TRUE = sql`true`;
/** The condition no row meets. */
export const FALSE = sql`false`;

export function or(conditions: Condition[]): Condition {
  if (conditions.length === 0) return FALSE;
  if (conditions.length === 1) return conditions[0];
  return sql`(${sql.join(conditions, sql` or `)})`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `r` is in the compartment of Patient/`patient`: referenced through a compartment parameter (local references only). */
export function compartmentCondition(resourceType: string, patient: string, baseUrl: string): Condition {
  const params = [...(PATIENT_COMPARTMENT.get(resourceType) ?? [])];
  const byReference =
    params.length === 0
      ? FALSE
      : sql`r.rid in (select f.rid from idx_reference f
          where f.resource_type = ${resourceType} and f.param = any(${params}) and f.target_type = 'Patient' and f.target_id = ${indexKey(patient)}
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
