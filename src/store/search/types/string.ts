import { sql } from 'kysely';
import { normalizeString } from '../../../fhir/search/normalize';
import type { StringFilter, StringValue } from '../../../fhir/search/types/string';
import { escapeLike, or, typeCondition } from '../sql-conditions';
import type { IndexRowBase, SearchTypeStorage } from './search-type-storage';

export interface StringIndexTable extends IndexRowBase {
  value_norm: string;
  value: string;
}

export const string: SearchTypeStorage<StringFilter, StringValue> = {
  rows: {
    table: 'idx_string',
    columns: [
      ['value_norm', 'text', (v) => v.normalized],
      ['value', 'text', (v) => v.value],
    ],
  },
  where(filter, types, rid) {
    const matches = filter.values.map((v) => {
      // value_norm is a function of value: comparing it too lets :exact use the index.
      if (filter.modifier === 'exact') return sql`(s.value_norm = ${normalizeString(v)} and s.value = ${v})`;
      if (filter.modifier === 'contains') return sql`s.value_norm like ${'%' + escapeLike(v) + '%'}`;
      return sql`s.value_norm like ${escapeLike(v) + '%'}`;
    });
    return sql`${rid} in (select s.rid from idx_string s where ${typeCondition('s.resource_type', types)} and s.param = ${filter.param} and ${or(matches)})`;
  },
  sort: { ascending: 'min(x.value_norm)', descending: 'max(x.value_norm)', cast: 'text', empty: "''" },
};
