import { FhirError } from '../../fhir-error';
import { unescapeValue } from '../escaping';
import { assertBelowValueFits } from '../index-key';
import type { SearchParameterType } from './search-parameter-type';

export interface UriFilter {
  kind: 'uri';
  param: string;
  modifier: 'none' | 'below' | 'above';
  values: string[];
}

export interface UriValue {
  param: string;
  value: string;
}

export const uri: SearchParameterType<UriFilter> = {
  sortable: true,
  parse({ code, modifier, values, name }) {
    if (modifier !== undefined && modifier !== 'below' && modifier !== 'above') {
      throw FhirError.badRequest(`Modifier :${modifier} is not allowed on uri parameter ${code}`, name);
    }
    const uris = values.map(unescapeValue);
    if (modifier === 'below') for (const v of uris) assertBelowValueFits(v, name);
    return { kind: 'uri', param: code, modifier: modifier ?? 'none', values: uris };
  },
  extract({ param, results }, into) {
    for (const r of results) if (typeof r === 'string') into.uri.push({ param: param.code, value: r });
  },
};
