import { sql } from 'kysely';
import { indexKey } from '../../../fhir/search/index-key';
import type { ReferenceFilter, ReferenceValue } from '../../../fhir/search/types/reference';
import { column } from '../sql-column';
import { and, escapeLike, hasIndexRow, or, typeCondition, type Condition } from '../sql-conditions';
import type { IndexRowBase, SearchTypeStorage } from './search-type-storage';

export interface ReferenceIndexTable extends IndexRowBase {
  target_type: string | null;
  target_id: string | null;
  url: string | null;
  version: string | null;
}

export const reference: SearchTypeStorage<ReferenceFilter, ReferenceValue> = {
  rows: {
    table: 'idx_reference',
    columns: [
      ['target_type', 'text', (v) => indexKey(v.targetType)],
      ['target_id', 'text', (v) => indexKey(v.targetId)],
      ['url', 'text', (v) => indexKey(v.url)],
      ['version', 'text', (v) => v.version],
    ],
  },
  /** Mirrored in memory by referenceMatches (fhir/search/types/reference.ts). */
  where(filter, types, rid) {
    const matches = filter.values.map((v) => {
      const parts: Condition[] = [];
      if (v.id !== undefined) parts.push(sql`f.target_id = ${indexKey(v.id)}`);
      if (v.targetType !== undefined) parts.push(sql`f.target_type = ${indexKey(v.targetType)}`);
      if (v.url !== undefined) parts.push(sql`f.url = ${indexKey(v.url)}`);
      if (v.version !== undefined) parts.push(sql`f.version = ${v.version}`);
      if (v.localBase !== undefined) parts.push(isLocalReference('f', v.localBase));
      return and(parts);
    });
    const param = filter.anyOfParams !== undefined ? sql`f.param = any(${[...filter.anyOfParams]})` : sql`f.param = ${filter.param}`;
    if (filter.not) {
      // Probed row by row through idx_reference_rid: the resources it rules out are never all read.
      return sql`not exists (select 1 from idx_reference f where f.rid = ${rid} and ${typeCondition('f.resource_type', types)} and ${param} and ${or(matches)})`;
    }
    return sql`${rid} in (select f.rid from idx_reference f where ${typeCondition('f.resource_type', types)} and ${param} and ${or(matches)})`;
  },
  present(param, types, rid) {
    // A reference given only by its identifier is a value too.
    return sql`(${hasIndexRow('idx_reference', param, types, rid)} or ${hasIndexRow('idx_token', `${param}:identifier`, types, rid)})`;
  },
  sort: { ascending: 'min(x.target_id)', descending: 'max(x.target_id)', cast: 'text', empty: "''" },
  mayUseGenericPlan(filter) {
    return !filter.not && filter.values.length > 0 && filter.values.every((v) => v.id !== undefined && v.url === undefined);
  },
};

/**
 * A reference row that points at this server: relative, or absolute under its base.
 * `Patient/1` must not find `http://elsewhere/fhir/Patient/1` (R4 search.html#reference).
 */
export function isLocalReference(alias: string, base: string): Condition {
  const url = column(`${alias}.url`);
  return sql`(${url} is null or ${url} like ${escapeLike(base) + '/%'})`;
}
