import type { NumberFilter } from '../../../fhir/search/types/number';
import type { QuantityValue } from '../../../fhir/search/types/quantity';
import { number, numberWhere, type NumberIndexTable } from './number';
import type { SearchTypeStorage } from './search-type-storage';

export interface QuantityIndexTable extends NumberIndexTable {
  system: string | null;
  code: string | null;
  unit: string | null;
}

/** A number with a unit: the number's columns and WHERE, and the unit's. */
export const quantity: SearchTypeStorage<NumberFilter, QuantityValue> = {
  rows: {
    table: 'idx_quantity',
    columns: [
      ...number.rows.columns,
      ['system', 'text', (v) => v.system],
      ['code', 'text', (v) => v.code],
      ['unit', 'text', (v) => v.unit],
    ],
  },
  where: numberWhere('idx_quantity'),
  sort: number.sort,
};
