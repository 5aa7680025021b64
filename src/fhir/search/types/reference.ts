import { FhirError } from '../../fhir-error';
import { localReference } from '../../references';
import { ID_CHARS, ID_PATTERN } from '../../resource-types';
import { isJsonObject } from '../../validation/json-values';
import { unescapeValue } from '../escaping';
import { textOrNull, type SearchParameterType } from './search-parameter-type';
import { parseTokenMatch, tokenValues, type TokenFilter } from './token';

export interface ReferenceMatch {
  targetType?: string;
  id?: string;
  url?: string;
  version?: string;
  /**
   * Set for a local search value (`id`, `Type/id`, `[base]/Type/id`): only references that
   * are relative or absolute under this base match, not `http://elsewhere/fhir/Type/id`.
   */
  localBase?: string;
}

export interface ReferenceFilter {
  kind: 'reference';
  param: string;
  values: ReferenceMatch[];
  /** Matches through any of these parameters instead of `param` alone (a compartment's parameters). */
  anyOfParams?: readonly string[];
  /** Matches the resources without such a reference (filters of the server's own, not a search syntax). */
  not?: boolean;
}

export interface ReferenceValue {
  param: string;
  targetType: string | null;
  targetId: string | null;
  url: string | null;
  version: string | null;
}

const RELATIVE_REFERENCE = new RegExp(`^(?:(.*)/)?([A-Z][A-Za-z]+)/(${ID_CHARS})(?:/_history/(${ID_CHARS}))?$`);

/** `[param]:identifier` is a token search on Reference.identifier (R4 search.html#reference). */
export const reference: SearchParameterType<ReferenceFilter | TokenFilter> = {
  sortable: true,
  parse({ definition, modifier, values, name, baseUrl, isResourceType }) {
    if (modifier === 'identifier') {
      return {
        kind: 'token',
        param: `${definition.code}:identifier`,
        modifier: 'none',
        values: values.map((v) => parseTokenMatch(v, name)),
        texts: [],
        valueSets: [],
      };
    }
    if (modifier === 'missing') throw FhirError.badRequest('unreachable', name);
    if (modifier !== undefined && !isResourceType(modifier)) {
      throw FhirError.badRequest(`Modifier :${modifier} is not a resource type or :identifier`, name);
    }
    const matches = values.map((raw): ReferenceMatch => {
      const value = unescapeValue(raw);
      const local = value.startsWith(baseUrl + '/') ? value.slice(baseUrl.length + 1) : value;
      const relative = localReference(local);
      if (relative) {
        if (modifier !== undefined && modifier !== relative.resourceType) {
          throw FhirError.badRequest(`The value ${value} is not a ${modifier}`, name);
        }
        return { targetType: relative.resourceType, id: relative.id, localBase: baseUrl };
      }
      if (ID_PATTERN.test(local)) return { targetType: modifier, id: local, localBase: baseUrl };
      if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
        const [url, version] = value.split('|');
        return version !== undefined ? { url, version } : { url };
      }
      throw FhirError.badRequest(`"${value}" is not a reference (id, Type/id, URL or canonical)`, name);
    });
    return { kind: 'reference', param: definition.code, values: matches };
  },
  extract({ param, results }, into) {
    for (const r of results) {
      const ref = referenceValue(r);
      if (ref) into.reference.push({ param: param.code, ...ref });
      // `[param]:identifier` searches Reference.identifier (R4 search.html#reference).
      if (isJsonObject(r) && isJsonObject(r.identifier)) into.token.push(...tokenValues(`${param.code}:identifier`, r.identifier));
    }
  },
  componentKeys(value) {
    const ref = referenceValue(value);
    return ref && ref.targetType && ref.targetId ? [`${ref.targetType}/${ref.targetId}`] : [];
  },
};

/** Reference (relative or absolute) or canonical (`url|version`). */
export function referenceValue(value: unknown): Omit<ReferenceValue, 'param'> | undefined {
  if (typeof value === 'string') {
    const [url, version] = value.split('|');
    const m = RELATIVE_REFERENCE.exec(url);
    return { targetType: m ? m[2] : null, targetId: m ? m[3] : null, url, version: version ?? null };
  }
  if (!isJsonObject(value)) return undefined;
  const reference = textOrNull(value.reference);
  if (reference === null) return undefined;
  if (reference.startsWith('#')) return undefined;
  const m = RELATIVE_REFERENCE.exec(reference);
  if (!m) return { targetType: textOrNull(value.type), targetId: null, url: reference, version: null };
  const [, prefix, type, id, version] = m;
  return { targetType: type, targetId: id, url: prefix ? reference : null, version: version ?? null };
}

/**
 * Whether a reference's index value matches one value of a reference search, exactly as the
 * store's SQL for it (store/search/types/reference.ts) decides: every part the search value
 * gives must be equal, and a local search value (`Type/id`) matches only a relative reference or
 * one absolute under this server's base.
 */
export function referenceMatches(value: ReferenceValue, wanted: ReferenceMatch): boolean {
  if (wanted.id !== undefined && value.targetId !== wanted.id) return false;
  if (wanted.targetType !== undefined && value.targetType !== wanted.targetType) return false;
  if (wanted.url !== undefined && value.url !== wanted.url) return false;
  if (wanted.version !== undefined && value.version !== wanted.version) return false;
  if (wanted.localBase !== undefined && value.url !== null && !value.url.startsWith(`${wanted.localBase}/`)) return false;
  return true;
}

/** Whether any of a resource's reference index values matches the filter (its parameter, any of its values). */
export function matchesReferenceFilter(values: readonly ReferenceValue[], filter: ReferenceFilter): boolean {
  const params = filter.anyOfParams ?? [filter.param];
  const found = values.some((v) => params.includes(v.param) && filter.values.some((wanted) => referenceMatches(v, wanted)));
  return filter.not ? !found : found;
}
