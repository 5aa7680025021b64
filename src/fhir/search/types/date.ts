import { FhirError } from '../../fhir-error';
import { isJsonObject } from '../../validation/json-values';
import { parseDateRange, timestampText } from '../date-range';
import { unescapeValue } from '../escaping';
import type { Prefix } from '../search-request';
import { parsePrefix } from './prefix';
import type { SearchParameterType } from './search-parameter-type';

/** A date search value: the range [start, end) it stands for, and its prefix. */
export interface RangeValue {
  prefix: Prefix;
  start: string;
  end: string;
}

export interface DateFilter {
  kind: 'date';
  param: string;
  values: RangeValue[];
}

export interface DateValue {
  param: string;
  start: string;
  end: string;
}

const INFINITY_START = '-infinity';
const INFINITY_END = 'infinity';

export const date: SearchParameterType<DateFilter> = {
  sortable: true,
  parse({ code, modifier, values, name }) {
    if (modifier !== undefined) throw FhirError.badRequest(`Modifier :${modifier} is not allowed on date parameter ${code}`, name);
    return { kind: 'date', param: code, values: values.map((v) => parseRangeValue(v, name)) };
  },
  extract({ param, results }, into) {
    for (const r of results) {
      const range = dateRange(r);
      if (range) into.date.push({ param: param.code, ...range });
    }
  },
};

/** `[prefix]date`, for date parameters and `_lastUpdated`. */
export function parseRangeValue(value: string, name: string): RangeValue {
  const [prefix, rest] = parsePrefix(unescapeValue(value));
  const range = parseDateRange(rest);
  if (!range || range.start.getUTCFullYear() < 1) {
    throw FhirError.badRequest(`"${value}" is not a valid date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)`, name);
  }
  return { prefix, start: timestampText(range.start.getTime()), end: timestampText(range.end.getTime()) };
}

/** date, dateTime, instant, Period and Timing.event as [start, end). */
export function dateRange(value: unknown): { start: string; end: string } | undefined {
  if (typeof value === 'string') {
    const r = parseDateRange(value);
    return r ? { start: timestampText(r.start.getTime()), end: timestampText(r.end.getTime()) } : undefined;
  }
  if (!isJsonObject(value)) return undefined;
  if ('start' in value || 'end' in value) {
    const s = typeof value.start === 'string' ? parseDateRange(value.start) : undefined;
    const e = typeof value.end === 'string' ? parseDateRange(value.end) : undefined;
    if (!s && !e) return undefined;
    return { start: s ? timestampText(s.start.getTime()) : INFINITY_START, end: e ? timestampText(e.end.getTime()) : INFINITY_END };
  }
  if (Array.isArray(value.event)) {
    const ranges = value.event.filter((x): x is string => typeof x === 'string').map(parseDateRange).filter((r) => r !== undefined);
    if (ranges.length === 0) return undefined;
    const start = Math.min(...ranges.map((r) => r.start.getTime()));
    const end = Math.max(...ranges.map((r) => r.end.getTime()));
    return { start: timestampText(start), end: timestampText(end) };
  }
  return undefined;
}
