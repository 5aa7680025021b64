import { FhirError } from '../../fhir-error';
import { isJsonObject } from '../../validation/json-values';
import { splitFirstEscaped, unescapeValue } from '../escaping';
import { normalizeString } from '../normalize';
import { parseNumberValue, type NumberValue } from './number';
import type { SearchParameterType } from './search-parameter-type';

/** One `first$second` value; a number or quantity second component is compared as a number. */
export interface CompositeMatch {
  component1: string;
  component2: string;
  number?: NumberValue;
}

export interface CompositeFilter {
  kind: 'composite';
  param: string;
  values: CompositeMatch[];
}

export interface CompositeValue {
  param: string;
  component1: string;
  component2: string;
  value2: number | null;
}

/** Composites of two components, each matched by its keys (componentKeys), the second also as a number. */
export const composite: SearchParameterType<CompositeFilter> = {
  sortable: false,
  parse({ code, modifier, values, name, definition }) {
    if (modifier !== undefined) throw FhirError.badRequest(`Modifier :${modifier} is not allowed on composite ${code}`, name);
    return {
      kind: 'composite',
      param: code,
      values: values.map((v) => {
        const parts = splitFirstEscaped(v, '$');
        if (!parts) throw FhirError.badRequest(`Composite parameter ${code} needs two values joined by $, got "${v}"`, name);
        const secondType = definition.components[1]?.type;
        if (secondType === 'quantity' || secondType === 'number') {
          const number = parseNumberValue(parts[1], name, secondType === 'quantity');
          return {
            component1: unescapeValue(parts[0]),
            component2: `${number.system ?? ''}|${number.code ?? ''}`,
            number,
          };
        }
        const second = secondType === 'string' ? normalizeString(unescapeValue(parts[1])) : unescapeValue(parts[1]);
        return { component1: unescapeValue(parts[0]), component2: second };
      }),
    };
  },
  extract({ param, results, evaluate, componentKeys }, into) {
    if (param.components.length !== 2) return;
    const [first, second] = param.components;
    for (const item of results) {
      const keys1 = evaluate(first.expression, item).flatMap((v) => componentKeys(first.type, v));
      for (const v of evaluate(second.expression, item)) {
        const keys2 = componentKeys(second.type, v);
        const numeric = isJsonObject(v) && typeof v.value === 'number' ? v.value : typeof v === 'number' ? v : null;
        for (const k1 of keys1) for (const k2 of keys2) into.composite.push({ param: param.code, component1: k1, component2: k2, value2: numeric });
      }
    }
  },
};
