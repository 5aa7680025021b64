import { FhirError } from '../../fhir-error';
import { splitEscaped, unescapeValue } from '../escaping';
import type { Prefix } from '../search-request';
import { parsePrefix } from './prefix';
import type { SearchParameterType } from './search-parameter-type';

/** A number or quantity search value: the range it stands for, its prefix and (quantity) its unit. */
export interface NumberValue {
  prefix: Prefix;
  value: number;
  low: number;
  high: number;
  /** quantity only */
  system?: string;
  code?: string;
}

export interface NumberFilter {
  kind: 'number' | 'quantity';
  param: string;
  values: NumberValue[];
}

export interface NumberIndexValue {
  param: string;
  value: number;
  low: number;
  high: number;
}

export const number: SearchParameterType<NumberFilter> = {
  sortable: true,
  parse({ code, modifier, values, name }) {
    if (modifier !== undefined) throw FhirError.badRequest(`Modifier :${modifier} is not allowed on number parameter ${code}`, name);
    return { kind: 'number', param: code, values: values.map((v) => parseNumberValue(v, name, false)) };
  },
  extract({ param, results }, into) {
    for (const r of results) {
      const n = typeof r === 'number' ? r : Number.NaN;
      if (Number.isFinite(n)) into.number.push({ param: param.code, value: n, ...numberRange(n) });
    }
  },
};

/** `[prefix]number`, or for a quantity `[prefix]number[|system|code]`. */
export function parseNumberValue(value: string, name: string, quantity: boolean): NumberValue {
  const [prefix, rest] = parsePrefix(value);
  const parts = quantity ? splitEscaped(rest, '|').map(unescapeValue) : [rest];
  if (quantity && parts.length !== 1 && parts.length !== 3) {
    throw FhirError.badRequest(`A quantity is [prefix]number[|system|code], got "${value}"`, name);
  }
  const numberText = parts[0];
  if (!/^-?(\d+(\.\d+)?|\.\d+)([eE][-+]?\d+)?$/.test(numberText)) {
    throw FhirError.badRequest(`"${value}" is not a valid number`, name);
  }
  const n = Number(numberText);
  if (!Number.isFinite(n)) throw FhirError.badRequest(`"${value}" is out of range`, name);
  const half = implicitPrecision(numberText);
  const result: NumberValue = { prefix, value: n, low: n - half, high: n + half };
  if (quantity && parts.length === 3) {
    if (parts[1] !== '') result.system = parts[1];
    if (parts[2] !== '') result.code = parts[2];
  }
  return result;
}

/**
 * Half the width of the range a number stands for (R4 search.html#number): `100` is
 * [99.5, 100.5), `100.00` is [99.995, 100.005), and `1e2`, one significant figure, is
 * [95, 105) as the spec's table gives it.
 */
function implicitPrecision(numberText: string): number {
  const [mantissa, exponent] = numberText.toLowerCase().split('e');
  const decimals = mantissa.includes('.') ? mantissa.split('.')[1].length : 0;
  if (exponent === undefined) return 0.5 * Math.pow(10, -decimals);
  return 0.5 * Math.pow(10, Number(exponent) - decimals - 1);
}

/** Implicit precision range of a decimal (R4 search.html#number): 100 is [99.5, 100.5). */
export function numberRange(value: number): { low: number; high: number } {
  const text = String(value);
  const decimals = text.includes('.') ? text.split('.')[1].length : 0;
  const half = 0.5 * Math.pow(10, -decimals);
  return { low: value - half, high: value + half };
}
