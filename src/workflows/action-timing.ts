import { parseTemporal } from '../fhir/temporal';
import type { Duration, Period, PlanDefinitionAction, Procedure, Quantity, Range, RequestGroupAction, ServiceRequest } from 'fhir/r4';

/**
 * Turns a PlanDefinition action's timing, written as an offset from a reference moment (here
 * the procedure date, day 0), into concrete dates. `timingDuration` is a point (day 0 + the
 * duration, which may be negative); `timingRange` is a window, a missing `low` meaning "any
 * time up to `high`" and a missing `high` "from `low` on" (docs/content.md).
 *
 * A date-only reference gives dates (an offset in hours or minutes lands on the day it falls
 * in); a dateTime gives dateTimes in the same UTC offset. Months and years are calendar units
 * (the day is clamped to the end of a shorter month).
 */

export type TimeUnit = 'min' | 'h' | 'd' | 'wk' | 'mo' | 'a';

const UNIT_ALIASES: Record<string, TimeUnit> = {
  min: 'min',
  minute: 'min',
  minutes: 'min',
  h: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  wk: 'wk',
  week: 'wk',
  weeks: 'wk',
  mo: 'mo',
  month: 'mo',
  months: 'mo',
  a: 'a',
  year: 'a',
  years: 'a',
};

export class TimingError extends Error {}

/** The unit of a UCUM time quantity (by code, else by its human unit). */
export function timeUnit(quantity: Quantity | Duration): TimeUnit {
  const key =
    quantity.system === 'http://unitsofmeasure.org' && quantity.code !== undefined
      ? quantity.code
      : (quantity.code ?? quantity.unit ?? '');
  const unit = UNIT_ALIASES[key] ?? UNIT_ALIASES[quantity.unit ?? ''];
  if (unit === undefined) throw new TimingError(`"${key}" is not a unit of time this server can add`);
  return unit;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** True for a FHIR date (YYYY-MM-DD) or a dateTime with time and zone: what day 0 may be. */
export function isReferenceMoment(value: string): boolean {
  return (DATE.test(value) || DATE_TIME.test(value)) && typeof parseTemporal(value) !== 'string';
}

/**
 * The date of an order, as written: a ServiceRequest's occurrence[x] (dateTime, the start of
 * a Period, the first event of a Timing), a Procedure's performed[x]. Day 0 of the plan when
 * isReferenceMoment() accepts it.
 */
export function orderDate(order: ServiceRequest | Procedure): string | undefined {
  return order.resourceType === 'ServiceRequest'
    ? (order.occurrenceDateTime ?? order.occurrencePeriod?.start ?? order.occurrenceTiming?.event?.[0])
    : (order.performedDateTime ?? order.performedPeriod?.start);
}

/** `moment` shifted by `amount` `unit`s, in the same form (date or dateTime) as `moment`. */
export function shiftMoment(moment: string, amount: number, unit: TimeUnit): string {
  const date = DATE.exec(moment);
  if (date) {
    const wall = new Date(Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])));
    return formatDate(shiftWall(wall, amount, unit));
  }
  const dt = DATE_TIME.exec(moment);
  if (!dt) throw new TimingError(`"${moment}" is not a date (YYYY-MM-DD) or a dateTime with a time zone`);
  const [, y, mo, d, h, mi, s, , zone] = dt;
  const wall = new Date(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0)),
  );
  const shifted = shiftWall(wall, amount, unit);
  return `${formatDate(shifted)}T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}${zone}`;
}

/** Arithmetic on a wall-clock moment held in a Date's UTC fields (no time zone rules apply). */
function shiftWall(wall: Date, amount: number, unit: TimeUnit): Date {
  const out = new Date(wall.getTime());
  switch (unit) {
    case 'min':
      out.setUTCMinutes(out.getUTCMinutes() + amount);
      break;
    case 'h':
      out.setUTCHours(out.getUTCHours() + amount);
      break;
    case 'd':
      out.setUTCDate(out.getUTCDate() + amount);
      break;
    case 'wk':
      out.setUTCDate(out.getUTCDate() + 7 * amount);
      break;
    case 'mo':
    case 'a': {
      const months = unit === 'mo' ? amount : 12 * amount;
      const day = out.getUTCDate();
      out.setUTCDate(1);
      out.setUTCMonth(out.getUTCMonth() + months);
      const last = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
      out.setUTCDate(Math.min(day, last));
      break;
    }
  }
  return out;
}

function formatDate(d: Date): string {
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function shiftBy(moment: string, quantity: Quantity | Duration): string {
  if (typeof quantity.value !== 'number') throw new TimingError('A timing offset needs a value');
  if (!Number.isInteger(quantity.value))
    throw new TimingError(`A timing offset must be a whole number of units, got ${quantity.value}`);
  return shiftMoment(moment, quantity.value, timeUnit(quantity));
}

/** The concrete timing of a RequestGroup action for a PlanDefinition action's timing, relative to `dayZero`. */
export function concreteTiming(
  action: PlanDefinitionAction,
  dayZero: string,
): Pick<
  RequestGroupAction,
  'timingDateTime' | 'timingPeriod' | 'timingAge' | 'timingDuration' | 'timingRange' | 'timingTiming'
> {
  if (action.timingDuration !== undefined) return { timingDateTime: shiftBy(dayZero, action.timingDuration) };
  if (action.timingRange !== undefined) return { timingPeriod: rangeToPeriod(action.timingRange, dayZero) };
  if (action.timingDateTime !== undefined) return { timingDateTime: action.timingDateTime };
  if (action.timingPeriod !== undefined) return { timingPeriod: action.timingPeriod };
  // An age or a Timing schedule is not an offset from the procedure: carried over unchanged.
  if (action.timingAge !== undefined) return { timingAge: action.timingAge };
  if (action.timingTiming !== undefined) return { timingTiming: action.timingTiming };
  return {};
}

function rangeToPeriod(range: Range, dayZero: string): Period {
  const period: Period = {};
  if (range.low !== undefined) period.start = shiftBy(dayZero, range.low);
  if (range.high !== undefined) period.end = shiftBy(dayZero, range.high);
  return period;
}

/** The earliest and latest moments a set of concrete timings mention (for CarePlan.period). */
export function span(
  timings: Pick<RequestGroupAction, 'timingDateTime' | 'timingPeriod'>[],
): Period | undefined {
  const moments = timings
    .flatMap((t) => [t.timingDateTime, t.timingPeriod?.start, t.timingPeriod?.end])
    .filter((m): m is string => m !== undefined);
  if (moments.length === 0) return undefined;
  const sorted = [...moments].sort((a, b) => instant(a) - instant(b));
  return { start: sorted[0], end: sorted[sorted.length - 1] };
}

function instant(moment: string): number {
  return Date.parse(DATE.test(moment) ? `${moment}T00:00:00Z` : moment);
}
