import { sql, type RawBuilder } from 'kysely';
import { timestampMs, timestampText } from '../../../fhir/search/date-range';
import type { DateFilter, DateValue, RangeValue } from '../../../fhir/search/types/date';
import { column } from '../sql-column';
import { or, typeCondition, type Condition } from '../sql-conditions';
import type { IndexRowBase, SearchTypeStorage } from './search-type-storage';

export interface DateIndexTable extends IndexRowBase {
  range_start: string;
  range_end: string;
}

export const date: SearchTypeStorage<DateFilter, DateValue> = {
  rows: {
    table: 'idx_date',
    columns: [
      ['range_start', 'timestamptz', (v) => v.start],
      ['range_end', 'timestamptz', (v) => v.end],
    ],
  },
  where(filter, types, rid) {
    const matches = filter.values.map((v) => rangeCondition(v, column('d.range_start'), column('d.range_end')));
    return sql`${rid} in (select d.rid from idx_date d where ${typeCondition('d.resource_type', types)} and d.param = ${filter.param} and ${or(matches)})`;
  },
  sort: { ascending: 'min(x.range_start)', descending: 'max(x.range_end)', cast: 'timestamptz', empty: "'-infinity'::timestamptz" },
};

/**
 * R4 search.html#prefix on ranges: the target [ts, te) against the search value [ss, se).
 * `eq` means the search range contains the target; `gt` that some of the target lies after it, etc.
 */
export function rangeCondition(value: RangeValue, start: RawBuilder<unknown>, end: RawBuilder<unknown>, instant = false): Condition {
  const ss = sql`${value.start}::timestamptz`;
  const se = sql`${value.end}::timestamptz`;
  // For _lastUpdated the target is an instant: its range is [t, t].
  const te = instant ? start : end;
  // Containment also bounds the start from above: the same matches, but an index range on
  // range_start and an estimate the planner can use (it took `start >= ss and end <= se` for a
  // quarter of idx_date when 5 rows matched, and scanned the table). The bound allows a year of
  // slack because a December date or month is stored today with its end on January 1st of the
  // same year (parseDateRange's utc() keeps the year when the day or month overflows), so a range
  // may end up to a year before it starts.
  const contained = instant
    ? sql`(${start} >= ${ss} and ${start} < ${se})`
    : sql`(${start} >= ${ss} and ${start} <= ${se} + interval '1 year' and ${te} <= ${se})`;
  switch (value.prefix) {
    case 'eq':
      return contained;
    case 'ne':
      return sql`not ${contained}`;
    case 'gt':
      return instant ? sql`${start} >= ${se}` : sql`${te} > ${se}`;
    case 'lt':
      return sql`${start} < ${ss}`;
    case 'ge':
      return instant ? sql`${start} >= ${ss}` : sql`(${te} > ${se} or ${contained})`;
    case 'le':
      return instant ? sql`${start} < ${se}` : sql`(${start} < ${ss} or ${contained})`;
    case 'sa':
      return instant ? sql`${start} >= ${se}` : sql`${start} >= ${se}`;
    case 'eb':
      return instant ? sql`${start} < ${ss}` : sql`${te} <= ${ss}`;
    case 'ap': {
      // Approximately: within 10% of the distance between the value and now, at least a day.
      const searchStart = timestampMs(value.start);
      const gap = Math.max(Math.abs(Date.now() - searchStart) * 0.1, 86_400_000);
      const lo = timestampText(searchStart - gap);
      const hi = timestampText(timestampMs(value.end) + gap);
      return sql`(${start} < ${hi}::timestamptz and ${te} > ${lo}::timestamptz)`;
    }
  }
}
