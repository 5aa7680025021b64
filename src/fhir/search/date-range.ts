/**
 * FHIR dates as ranges at their precision (R4 search.html#date): `2024` is the whole
 * year, `2024-11-07` the whole day, an instant is one millisecond. Ranges are half-open,
 * [start, end). Values without a time zone are taken as UTC.
 */
import { parseTemporal } from '../temporal';

export interface DateRange {
  start: Date;
  end: Date;
}

/**
 * The range a date or dateTime covers, or undefined when it is not a real calendar value (the
 * rule of fhir/temporal.ts, shared with validation on write). A time without a zone is UTC.
 */
export function parseDateRange(value: string): DateRange | undefined {
  const parts = parseTemporal(value);
  if (typeof parts === 'string') return undefined;
  const { year, month, day } = parts;
  if (month === undefined) return { start: utc(year, 0, 1), end: utc(year + 1, 0, 1) };
  if (day === undefined) return { start: utc(year, month - 1, 1), end: utc(year, month, 1) };
  if (parts.hour === undefined) return { start: utc(year, month - 1, day), end: utc(year, month - 1, day + 1) };
  const offsetMinutes = parts.zone === undefined || parts.zone === 'Z' ? 0 : tzOffset(parts.zone);
  const ms = parts.fraction !== undefined ? Number(parts.fraction.padEnd(3, '0').slice(0, 3)) : 0;
  const base = utc(year, month - 1, day).getTime() + ((parts.hour * 60 + parts.minute!) * 60 + (parts.second ?? 0)) * 1000 + ms;
  const start = new Date(base - offsetMinutes * 60_000);
  const precisionMs = parts.second === undefined ? 60_000 : parts.fraction === undefined ? 1_000 : 1;
  return { start, end: new Date(start.getTime() + precisionMs) };
}

/**
 * Midnight UTC of a calendar day; a month or day past the end rolls over into the next month or
 * year (`utc(2024, 12, 1)` is 2025-01-01), and years below 100 stay as they are (Date.UTC would
 * read 24 as 1924).
 */
function utc(year: number, monthIndex: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date;
}

function tzOffset(tz: string): number {
  const sign = tz.startsWith('-') ? -1 : 1;
  const [hh, mm] = tz.slice(1).split(':').map(Number);
  return sign * (hh * 60 + mm);
}

const FIRST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
const AFTER_LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z') + 1;

/**
 * An instant as timestamptz text for SQL. Outside years 1..9999 (where ISO text turns into
 * `+010000-…`, which Postgres refuses) the range is open: `-infinity` / `infinity`.
 */
export function timestampText(ms: number): string {
  if (Number.isNaN(ms) || ms >= AFTER_LAST_INSTANT) return 'infinity';
  if (ms < FIRST_INSTANT) return '-infinity';
  return new Date(ms).toISOString();
}

/** The inverse of timestampText: milliseconds, with ±Infinity for the open ends. */
export function timestampMs(text: string): number {
  if (text === 'infinity') return Number.POSITIVE_INFINITY;
  if (text === '-infinity') return Number.NEGATIVE_INFINITY;
  return Date.parse(text);
}
