import { FhirError } from '../../fhir-error';
import { isJsonObject } from '../../validation/json-values';
import { numberRange, parseNumberValue, type NumberFilter, type NumberIndexValue } from './number';
import { scalarComponentKeys, textOrNull, type SearchParameterType } from './search-parameter-type';

export interface QuantityValue extends NumberIndexValue {
  system: string | null;
  code: string | null;
  unit: string | null;
}

export const quantity: SearchParameterType<NumberFilter> = {
  sortable: true,
  parse({ code, modifier, values, name }) {
    if (modifier !== undefined) throw FhirError.badRequest(`Modifier :${modifier} is not allowed on quantity parameter ${code}`, name);
    return { kind: 'quantity', param: code, values: values.map((v) => parseNumberValue(v, name, true)) };
  },
  extract({ param, results }, into) {
    for (const r of results) {
      if (!isJsonObject(r) || typeof r.value !== 'number') continue;
      into.quantity.push({
        param: param.code,
        value: r.value,
        ...numberRange(r.value),
        system: textOrNull(r.system),
        code: textOrNull(r.code),
        unit: textOrNull(r.unit),
      });
    }
  },
  /** A quantity's unit, with and without its system: `system|code` and `|code`. */
  componentKeys(value) {
    if (!isJsonObject(value)) return scalarComponentKeys(value);
    return [String(value.system ?? ''), ''].map((s) => `${s}|${String(value.code ?? '')}`);
  },
};
