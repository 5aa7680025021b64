import { sql, type RawBuilder } from 'kysely';
import type { NumberFilter, NumberIndexValue, NumberValue } from '../../../fhir/search/types/number';
import { column } from '../sql-column';
import { and, or, typeCondition, type Condition } from '../sql-conditions';
import { numeric, type IndexRowBase, type SearchTypeStorage } from './search-type-storage';

export interface NumberIndexTable extends IndexRowBase {
  value: string;
  range_low: string;
  range_high: string;
}

export const number: SearchTypeStorage<NumberFilter, NumberIndexValue> = {
  rows: {
    table: 'idx_number',
    columns: [
      ['value', 'numeric', (v) => numeric(v.value)],
      ['range_low', 'numeric', (v) => numeric(v.low)],
      ['range_high', 'numeric', (v) => numeric(v.high)],
    ],
  },
  where: numberWhere('idx_number'),
  sort: { ascending: 'min(x.value)', descending: 'max(x.value)', cast: 'numeric', empty: '0' },
};

/** The WHERE of number and quantity filters on their table (`n.value`, and for a quantity its unit). */
export function numberWhere(table: 'idx_number' | 'idx_quantity') {
  return (filter: NumberFilter, types: string[], rid: Condition): Condition => {
    const matches = filter.values.map((v) => {
      const parts = [numberCondition(v, column('n.value'))];
      if (v.system !== undefined) parts.push(sql`n.system = ${v.system}`);
      if (v.code !== undefined) parts.push(sql`(n.code = ${v.code} or (n.code is null and n.unit = ${v.code}))`);
      return and(parts);
    });
    return sql`${rid} in (select n.rid from ${sql.table(table)} n where ${typeCondition('n.resource_type', types)} and n.param = ${filter.param} and ${or(matches)})`;
  };
}

/** R4 search.html#number: `eq 100` matches [99.5, 100.5); the other prefixes compare the exact value. */
export function numberCondition(v: NumberValue, column: RawBuilder<unknown>): Condition {
  const value = sql`${String(v.value)}::numeric`;
  switch (v.prefix) {
    case 'eq':
      return sql`(${column} >= ${String(v.low)}::numeric and ${column} < ${String(v.high)}::numeric)`;
    case 'ne':
      return sql`not (${column} >= ${String(v.low)}::numeric and ${column} < ${String(v.high)}::numeric)`;
    case 'gt':
    case 'sa':
      return sql`${column} > ${value}`;
    case 'lt':
    case 'eb':
      return sql`${column} < ${value}`;
    case 'ge':
      return sql`${column} >= ${value}`;
    case 'le':
      return sql`${column} <= ${value}`;
    case 'ap': {
      const delta = Math.abs(v.value) * 0.1;
      return sql`(${column} >= ${String(v.value - delta)}::numeric and ${column} <= ${String(v.value + delta)}::numeric)`;
    }
  }
}
