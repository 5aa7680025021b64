import { sql } from 'kysely';
import { column } from './sql-column';
import { indexKey } from '../../fhir/search/index-key';
import type { Filter } from '../../fhir/search/search-request';
import { FALSE, TRUE, hasIndexRow, or, typeCondition, type Condition } from './sql-conditions';
import { searchTypeStorage } from './types';
import { rangeCondition } from './types/date';
import { isLocalReference } from './types/reference';

export { and } from './sql-conditions';

/**
 * Compiles one filter to a condition on the resource row `alias` (a row of `resource`
 * whose type is one of `types`). Each filter becomes `alias.rid IN (index lookup)`,
 * which Postgres runs as a semi-join driven by the index.
 */
export function compileFilter(filter: Filter, types: string[], alias: string, depth = 0): Condition {
  const rid = column(`${alias}.rid`);
  switch (filter.kind) {
    case 'id':
      if (filter.values.length === 0) return filter.not ? FALSE : TRUE; // _id:missing
      return filter.not ? sql`${column(`${alias}.id`)} <> all(${filter.values})` : sql`${column(`${alias}.id`)} = any(${filter.values})`;
    case 'lastUpdated':
      return or(filter.values.map((v) => rangeCondition(v, column(`${alias}.last_updated`), column(`${alias}.last_updated`), true)));
    case 'fulltext': {
      const field = column(`f.${filter.field}`);
      const queries = or(filter.values.map((q) => sql`${field} @@ plainto_tsquery('english', ${q})`));
      return sql`${rid} in (select f.rid from idx_fulltext f where ${typeCondition('f.resource_type', types)} and ${queries})`;
    }
    case 'compartment': {
      const byReference = sql`${rid} in (select f.rid from idx_reference f where ${typeCondition('f.resource_type', types)} and f.param = any(${filter.params}) and f.target_type = ${indexKey(filter.targetType)} and f.target_id = ${indexKey(filter.id)} and ${isLocalReference('f', filter.localBase)})`;
      return filter.self ? sql`(${column(`${alias}.id`)} = ${filter.id} or ${byReference})` : byReference;
    }
    case 'missing': {
      const storage = searchTypeStorage(filter.paramType);
      if (storage === undefined) return TRUE;
      const present = storage.present?.(filter.param, types, rid) ?? hasIndexRow(storage.rows.table, filter.param, types, rid);
      return filter.missing ? sql`not ${present}` : present;
    }
    case 'chain': {
      // The references of this resource that lead to a target matching the inner filter: by
      // type/id or by canonical URL. One UNION inside one IN lets the planner start from the
      // (usually selective) targets instead of walking every resource. `url is not null` changes
      // no result but lets the planner see how few references are canonical (no scan of idx_uri).
      const t = `c${depth}`;
      const inner = compileFilter(filter.filter, filter.targetTypes, t, depth + 1);
      const targets = sql`select ${column(`${t}.rid`)} from resource ${sql.table(t)} where ${typeCondition(`${t}.resource_type`, filter.targetTypes)} and not ${column(`${t}.deleted`)} and ${inner}`;
      const g = `g${depth}`;
      const tt = `ct${depth}`;
      const u = `cu${depth}`;
      const sameReference = sql`${typeCondition(`${g}.resource_type`, types)} and ${column(`${g}.param`)} = ${filter.param}`;
      return sql`${rid} in (
        select ${column(`${g}.rid`)} from idx_reference ${sql.table(g)}
          join resource ${sql.table(tt)} on ${column(`${tt}.resource_type`)} = ${column(`${g}.target_type`)} and ${column(`${tt}.id`)} = ${column(`${g}.target_id`)}
          where ${sameReference} and ${isLocalReference(g, filter.localBase)} and ${column(`${tt}.rid`)} in (${targets})
        union
        select ${column(`${g}.rid`)} from idx_reference ${sql.table(g)}
          join idx_uri ${sql.table(u)} on ${column(`${u}.value`)} = ${column(`${g}.url`)} and ${column(`${u}.param`)} = 'url'
          where ${sameReference} and ${column(`${g}.url`)} is not null and ${column(`${u}.rid`)} in (${targets}))`;
    }
    case 'has': {
      // The resources referenced (by type/id or canonical URL) by a source matching the inner filter.
      const s = `h${depth}`;
      const inner = compileFilter(filter.filter, [filter.sourceType], s, depth + 1);
      const sources = sql`select ${column(`${s}.rid`)} from resource ${sql.table(s)} where ${column(`${s}.resource_type`)} = ${filter.sourceType} and not ${column(`${s}.deleted`)} and ${inner}`;
      const g = `hr${depth}`;
      const tt = `ht${depth}`;
      const u = `hu${depth}`;
      const sameReference = sql`${column(`${g}.resource_type`)} = ${filter.sourceType} and ${column(`${g}.param`)} = ${filter.referenceParam} and ${column(`${g}.rid`)} in (${sources})`;
      return sql`${rid} in (
        select ${column(`${tt}.rid`)} from idx_reference ${sql.table(g)}
          join resource ${sql.table(tt)} on ${column(`${tt}.resource_type`)} = ${column(`${g}.target_type`)} and ${column(`${tt}.id`)} = ${column(`${g}.target_id`)}
          where ${sameReference} and ${isLocalReference(g, filter.localBase)} and ${typeCondition(`${tt}.resource_type`, types)}
        union
        select ${column(`${u}.rid`)} from idx_reference ${sql.table(g)}
          join idx_uri ${sql.table(u)} on ${column(`${u}.value`)} = ${column(`${g}.url`)} and ${column(`${u}.param`)} = 'url'
          where ${sameReference} and ${column(`${g}.url`)} is not null)`;
    }
    default:
      // A parameter of a search-parameter type: its module's WHERE (store/search/types/).
      return searchTypeStorage(filter.kind)!.where(filter, types, rid);
  }
}
