/**
 * The one rule for FHIR dates and times, shared by validation on write, operation parameters
 * and the search parser: a value must have R4's lexical form (datatypes.html#primitive) and name
 * a real calendar moment (no 30 February, no 29 February outside a leap year, no hour 24).
 * R4's regular expressions alone accept `2025-02-30`; JavaScript's Date silently rolls it over to
 * 2 March, which is why the calendar is checked here and nowhere else.
 */

export type TemporalType = 'date' | 'dateTime' | 'instant' | 'time';

/** The parts of a date or dateTime as written (no rollover, no time-zone shift). */
export interface TemporalParts {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** Fraction of a second as written, without the dot. */
  fraction?: string;
  /** `Z` or `±hh:mm`; undefined when the value has no time zone. */
  zone?: string;
}

// A partial date (YYYY, YYYY-MM) or a day, then an optional time; the time zone and the
// seconds are optional here so that the search parser (which allows both out) can share it.
const LEXICAL =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

export function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/**
 * Splits a date or dateTime into its parts, or says why it is not a calendar value. Accepts the
 * loosest form anyone here needs (a time without seconds or zone, for search); `checkTemporal`
 * adds R4's stricter form for resource content.
 */
export function parseTemporal(value: string): TemporalParts | string {
  const m = LEXICAL.exec(value);
  if (!m) return 'is not a date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+zz:zz)';
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const parts: TemporalParts = { year: Number(y) };
  if (parts.year < 1) return 'has year 0000, which is not a calendar year';
  if (mo !== undefined) {
    parts.month = Number(mo);
    if (parts.month < 1 || parts.month > 12) return `has month ${mo}, which does not exist`;
  }
  if (d !== undefined) {
    parts.day = Number(d);
    const last = daysInMonth(parts.year, parts.month!);
    if (parts.day < 1 || parts.day > last) {
      return `is not a calendar date: ${y}-${mo} has ${last} days`;
    }
  }
  if (h !== undefined) {
    parts.hour = Number(h);
    parts.minute = Number(mi);
    if (parts.hour > 23 || parts.minute > 59) return `has the time ${h}:${mi}, which does not exist`;
    if (s !== undefined) {
      parts.second = Number(s);
      if (parts.second > 59) return `has ${s} seconds, which this server does not accept`;
    }
    if (fraction !== undefined) parts.fraction = fraction;
    if (zone !== undefined) {
      if (zone !== 'Z') {
        const hours = Number(zone.slice(1, 3));
        const minutes = Number(zone.slice(4, 6));
        if (minutes > 59 || hours > 14 || (hours === 14 && minutes > 0)) return `has the time zone ${zone}, which does not exist`;
      }
      parts.zone = zone;
    }
  }
  return parts;
}

/**
 * Why `value` is not a valid FHIR R4 value of `type`, or undefined when it is one. A dateTime
 * with a time needs seconds and a time zone; an instant needs both and a full date.
 */
export function temporalProblem(value: string, type: TemporalType): string | undefined {
  if (type === 'time') {
    const t = TIME.exec(value);
    if (!t) return 'is not a time (hh:mm:ss)';
    if (Number(t[1]) > 23 || Number(t[2]) > 59 || Number(t[3]) > 59) return 'is not a time of day';
    return undefined;
  }
  const parts = parseTemporal(value);
  if (typeof parts === 'string') return parts;
  if (type === 'date') {
    return parts.hour !== undefined ? 'is a dateTime, not a date (YYYY, YYYY-MM or YYYY-MM-DD)' : undefined;
  }
  if (parts.hour !== undefined && (parts.second === undefined || parts.zone === undefined)) {
    return 'has a time but no seconds or no time zone (R4 needs YYYY-MM-DDThh:mm:ss with Z or ±hh:mm)';
  }
  if (type === 'instant' && (parts.hour === undefined || parts.zone === undefined)) {
    return 'is not an instant (YYYY-MM-DDThh:mm:ss with Z or ±hh:mm)';
  }
  return undefined;
}

export function isTemporalType(type: string): type is TemporalType {
  return type === 'date' || type === 'dateTime' || type === 'instant' || type === 'time';
}
