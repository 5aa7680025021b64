import { sql } from 'kysely';
import { indexKey, isShortenedKey } from '../../../fhir/search/index-key';
import { normalizeString } from '../../../fhir/search/normalize';
import type { StringFilter, StringValue } from '../../../fhir/search/types/string';
import { escapeLike, or, typeCondition } from '../sql-conditions';
import type { IndexRowBase, SearchTypeStorage } from './search-type-storage';

export interface StringIndexTable extends IndexRowBase {
  value_norm: string;
  /** The whole normalised value when value_norm is a shortened key (indexKey), otherwise null. */
  value_norm_full: string | null;
  value: string;
}

export const string: SearchTypeStorage<StringFilter, StringValue> = {
  rows: {
    table: 'idx_string',
    columns: [
      ['value_norm', 'text', (v) => indexKey(v.normalized)],
      ['value_norm_full', 'text', (v) => (isShortenedKey(v.normalized) ? v.normalized : null)],
      ['value', 'text', (v) => v.value],
    ],
  },
  where(filter, types, rid) {
    const matches = filter.values.map((v) => {
      // value_norm is a function of value: comparing it too lets :exact use the index.
      if (filter.modifier === 'exact') return sql`(s.value_norm = ${indexKey(normalizeString(v))} and s.value = ${v})`;
      // A shortened key (indexKey) ends in a digest: :contains reads the whole value instead.
      if (filter.modifier === 'contains') return sql`coalesce(s.value_norm_full, s.value_norm) like ${'%' + escapeLike(v) + '%'}`;
      // Only a value longer than the limit starts with one as long: its whole value is kept too.
      if (isShortenedKey(v)) return sql`s.value_norm_full like ${escapeLike(v) + '%'}`;
      return sql`s.value_norm like ${escapeLike(v) + '%'}`;
    });
    return sql`${rid} in (select s.rid from idx_string s where ${typeCondition('s.resource_type', types)} and s.param = ${filter.param} and ${or(matches)})`;
  },
  sort: { ascending: 'min(x.value_norm)', descending: 'max(x.value_norm)', cast: 'text', empty: "''" },
};
