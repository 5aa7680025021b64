import { sql } from 'kysely';
import { indexKey } from '../../../fhir/search/index-key';
import type { CompositeFilter, CompositeValue } from '../../../fhir/search/types/composite';
import { column } from '../sql-column';
import { and, or, typeCondition, type Condition } from '../sql-conditions';
import { numberCondition } from './number';
import { numeric, type IndexRowBase, type SearchTypeStorage } from './search-type-storage';

export interface CompositeIndexTable extends IndexRowBase {
  component_1: string;
  component_2: string;
  value_2: string | null;
}

/** Not sortable (`_sort` refuses composites). */
export const composite: SearchTypeStorage<CompositeFilter, CompositeValue> = {
  rows: {
    table: 'idx_composite',
    columns: [
      ['component_1', 'text', (v) => indexKey(v.component1)],
      ['component_2', 'text', (v) => indexKey(v.component2)],
      ['value_2', 'numeric', (v) => (v.value2 === null ? null : numeric(v.value2))],
    ],
  },
  where(filter, types, rid) {
    const matches = filter.values.map((v) => {
      const parts: Condition[] = [sql`k.component_1 = ${indexKey(v.component1)}`];
      if (v.number !== undefined) {
        if (v.component2 !== '|') parts.push(sql`k.component_2 = ${indexKey(v.component2)}`);
        parts.push(numberCondition(v.number, column('k.value_2')));
      } else parts.push(sql`k.component_2 = ${indexKey(v.component2)}`);
      return and(parts);
    });
    return sql`${rid} in (select k.rid from idx_composite k where ${typeCondition('k.resource_type', types)} and k.param = ${filter.param} and ${or(matches)})`;
  },
};
