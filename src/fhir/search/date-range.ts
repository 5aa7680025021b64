/**
 * FHIR dates as ranges at their precision (R4 search.html#date): `2024` is the whole
 * year, `2024-11-07` the whole day, an instant is one millisecond. Ranges are half-open,
 * [start, end). Values without a time zone are taken as UTC.
 */
export interface DateRange {
  start: Date;
  end: Date;
}

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function parseDateRange(value: string): DateRange | undefined {
  const m = DATE_PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo !== undefined ? Number(mo) : undefined;
  const day = d !== undefined ? Number(d) : undefined;
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month!))) return undefined;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)))
    return undefined;
  if (month === undefined) return { start: utc(year, 0, 1), end: utc(year + 1, 0, 1) };
  if (day === undefined) return { start: utc(year, month - 1, 1), end: utc(year, month, 1) };
  if (h === undefined) return { start: utc(year, month - 1, day), end: utc(year, month - 1, day + 1) };
  const offsetMinutes = tz === undefined || tz === 'Z' ? 0 : tzOffset(tz);
  const ms = frac !== undefined ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0;
  const base = Date.UTC(year, month - 1, day, Number(h), Number(mi), s !== undefined ? Number(s) : 0, ms);
  const start = new Date(base - offsetMinutes * 60_000);
  const precisionMs = s === undefined ? 60_000 : frac === undefined ? 1_000 : 1;
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

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
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
