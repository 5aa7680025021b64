import { FhirError } from '../../fhir-error';
import { isJsonObject } from '../../validation/json-values';
import { unescapeValue } from '../escaping';
import { normalizeString } from '../normalize';
import type { SearchParameterType } from './search-parameter-type';

export interface StringFilter {
  kind: 'string';
  param: string;
  modifier: 'none' | 'exact' | 'contains';
  /** Normalised (normalizeString), except for :exact. */
  values: string[];
}

export interface StringValue {
  param: string;
  value: string;
  /** Case- and accent-folded form that searches compare against. */
  normalized: string;
}

export const string: SearchParameterType<StringFilter> = {
  sortable: true,
  parse({ code, modifier, values, name }) {
    if (modifier !== undefined && modifier !== 'exact' && modifier !== 'contains') {
      throw FhirError.badRequest(`Modifier :${modifier} is not allowed on string parameter ${code}`, name);
    }
    const texts = values.map(unescapeValue);
    return {
      kind: 'string',
      param: code,
      modifier: modifier ?? 'none',
      values: modifier === 'exact' ? texts : texts.map(normalizeString),
    };
  },
  extract({ param, results }, into) {
    for (const r of results) for (const s of stringParts(r)) into.string.push({ param: param.code, value: s, normalized: normalizeString(s) });
  },
  componentKeys(value) {
    return stringParts(value).map(normalizeString);
  },
};

const HUMAN_NAME_PARTS = ['text', 'family', 'given', 'prefix', 'suffix'];
const ADDRESS_PARTS = ['text', 'line', 'city', 'district', 'state', 'postalCode', 'country'];

/** String search covers every part of a HumanName or Address (R4 search.html#string). */
export function stringParts(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (!isJsonObject(value)) return [];
  const keys = 'family' in value || 'given' in value ? HUMAN_NAME_PARTS : ADDRESS_PARTS;
  const parts: string[] = [];
  for (const key of keys) {
    const v = value[key];
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) parts.push(...v.filter((x): x is string => typeof x === 'string'));
  }
  if ('family' in value || 'given' in value) {
    const full = [...(Array.isArray(value.given) ? value.given : []), value.family].filter((x) => typeof x === 'string').join(' ');
    if (full !== '' && !parts.includes(full)) parts.push(full);
  }
  return parts;
}
