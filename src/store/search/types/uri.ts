import { sql } from 'kysely';
import { indexKey } from '../../../fhir/search/index-key';
import type { UriFilter, UriValue } from '../../../fhir/search/types/uri';
import { escapeLike, or, typeCondition } from '../sql-conditions';
import type { IndexRowBase, SearchTypeStorage } from './search-type-storage';

export interface UriIndexTable extends IndexRowBase {
  value: string;
}

export const uri: SearchTypeStorage<UriFilter, UriValue> = {
  rows: { table: 'idx_uri', columns: [['value', 'text', (v) => indexKey(v.value)]] },
  where(filter, types, rid) {
    const matches = filter.values.map((v) => {
      if (filter.modifier === 'below') {
        // Below a URL means at or under it by whole path segments: `/fhir` is not below `/fhi`.
        if (v.endsWith('/')) return sql`u.value like ${escapeLike(v) + '%'}`;
        return sql`(u.value = ${indexKey(v)} or u.value like ${escapeLike(v) + '/%'})`;
      }
      if (filter.modifier === 'above') return sql`u.value = any(${segmentPrefixes(v).map((p) => indexKey(p))})`;
      return sql`u.value = ${indexKey(v)}`;
    });
    return sql`${rid} in (select u.rid from idx_uri u where ${typeCondition('u.resource_type', types)} and u.param = ${filter.param} and ${or(matches)})`;
  },
  sort: { ascending: 'min(x.value)', descending: 'max(x.value)', cast: 'text', empty: "''" },
  mayUseGenericPlan(filter) {
    return filter.modifier === 'none' && filter.values.length > 0;
  },
};

/** The value and each of its leading paths at a `/`, with and without the slash: the URIs above it. */
function segmentPrefixes(value: string): string[] {
  const prefixes = new Set<string>([value]);
  for (let i = value.indexOf('//') >= 0 ? value.indexOf('//') + 2 : 0; i < value.length; i++) {
    if (value[i] === '/') {
      prefixes.add(value.slice(0, i));
      prefixes.add(value.slice(0, i + 1));
    }
  }
  return [...prefixes];
}
