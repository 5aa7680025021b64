import { FhirError } from '../../fhir-error';
import { isJsonObject } from '../../validation/json-values';
import { splitEscaped, splitFirstEscaped, unescapeValue } from '../escaping';
import { normalizeString } from '../normalize';
import { textOrNull, type SearchParameterType } from './search-parameter-type';

export interface TokenMatch {
  /** undefined: any system; null: explicitly no system (`|code`). */
  system: string | null | undefined;
  /** undefined: any code (`system|`). */
  code: string | undefined;
}

export interface TokenFilter {
  kind: 'token';
  param: string;
  modifier: 'none' | 'not' | 'text' | 'of-type' | 'in' | 'not-in' | 'below' | 'above' | 'identifier';
  values: TokenMatch[];
  /** For :text, the normalised texts. */
  texts: string[];
  /** For :in / :not-in / :below / :above: the canonical of the ValueSet or the code to expand. */
  valueSets: string[];
  /** Also match the codes the values map onto through any stored ConceptMap (TRANSLATED_TOKEN_PARAMS). */
  translated?: boolean;
}

/** A token index value: a code, boolean, Coding, CodeableConcept, Identifier or ContactPoint. */
export interface TokenValue {
  param: string;
  system: string | null;
  code: string | null;
  text: string | null;
}

/**
 * Token parameters whose plain searches also match through stored ConceptMaps: `procedure=S|C`
 * finds material coded with any code a ConceptMap maps S|C onto, so a site's own order codes
 * find the library once it has posted its map (docs/terminology.md).
 */
export const TRANSLATED_TOKEN_PARAMS: ReadonlySet<string> = new Set(['procedure']);

const TOKEN_MODIFIERS = ['not', 'text', 'of-type', 'in', 'not-in', 'below', 'above', 'identifier'] as const;

const CONTACT_POINT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);

export const token: SearchParameterType<TokenFilter> = {
  sortable: true,
  parse({ code, modifier, values, name }) {
    if (modifier !== undefined && !(TOKEN_MODIFIERS as readonly string[]).includes(modifier)) {
      throw FhirError.badRequest(`Modifier :${modifier} is not allowed on token parameter ${code}`, name);
    }
    const filter: TokenFilter = {
      kind: 'token',
      param: code,
      modifier: (modifier as TokenFilter['modifier'] | undefined) ?? 'none',
      values: [],
      texts: [],
      valueSets: [],
    };
    if (modifier === 'text') {
      filter.texts = values.map((v) => normalizeString(unescapeValue(v)));
      return filter;
    }
    if (modifier === 'in' || modifier === 'not-in') {
      filter.valueSets = values.map(unescapeValue);
      return filter;
    }
    if (modifier === 'of-type') {
      // identifier:of-type=system|code|value
      filter.values = values.map((v) => {
        const parts = splitEscaped(v, '|').map(unescapeValue);
        if (parts.length !== 3 || parts[1] === '' || parts[2] === '') {
          throw FhirError.badRequest(`:of-type takes system|code|value, got "${v}"`, name);
        }
        return { system: parts[0] === '' ? undefined : parts[0], code: `${parts[1]}|${parts[2]}` };
      });
      return filter;
    }
    filter.values = values.map((v) => parseTokenMatch(v, name));
    if (filter.modifier === 'none' && TRANSLATED_TOKEN_PARAMS.has(code)) filter.translated = true;
    return filter;
  },
  extract({ param, results }, into) {
    for (const r of results) into.token.push(...tokenValues(param.code, r));
  },
  componentKeys(value) {
    return tokenValues('', value).flatMap((t) => {
      const keys: string[] = [];
      if (t.code !== null) {
        keys.push(t.code);
        keys.push(t.system !== null ? `${t.system}|${t.code}` : `|${t.code}`);
      }
      return keys;
    });
  },
};

/** `[system]|[code]` or a bare code (any system). */
export function parseTokenMatch(value: string, name: string): TokenMatch {
  const parts = splitFirstEscaped(value, '|');
  if (!parts) return { system: undefined, code: unescapeValue(value) };
  const [system, code] = parts.map(unescapeValue);
  if (system === '' && code === '') throw FhirError.badRequest('A token value needs a system or a code', name);
  return {
    system: system === '' ? null : system,
    code: code === '' ? undefined : code,
  };
}

function normalizedOrNull(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? normalizeString(v) : null;
}

/** Token forms: code, boolean, Coding, CodeableConcept, Identifier, ContactPoint. */
export function tokenValues(param: string, value: unknown): TokenValue[] {
  if (typeof value === 'string') return [{ param, system: null, code: value, text: null }];
  if (typeof value === 'boolean') return [{ param, system: null, code: String(value), text: null }];
  if (!isJsonObject(value)) return [];
  if (Array.isArray(value.coding) || typeof value.text === 'string') {
    const text = normalizedOrNull(value.text);
    const rows: TokenValue[] = (Array.isArray(value.coding) ? value.coding : [])
      .filter(isJsonObject)
      .map((c) => ({ param, system: textOrNull(c.system), code: textOrNull(c.code), text: joinText(text, normalizedOrNull(c.display)) }));
    if (rows.length === 0 && text !== null) rows.push({ param, system: null, code: null, text });
    return rows;
  }
  if ('value' in value && !('code' in value)) {
    // Identifier or ContactPoint
    const system = textOrNull(value.system);
    if (system !== null && CONTACT_POINT_SYSTEMS.has(system) && !system.includes(':')) {
      return [{ param, system: null, code: textOrNull(value.value), text: null }];
    }
    const rows: TokenValue[] = [{ param, system, code: textOrNull(value.value), text: normalizedOrNull(isJsonObject(value.type) ? value.type.text : undefined) }];
    // :of-type needs the identifier's type coding together with its value.
    if (isJsonObject(value.type) && Array.isArray(value.type.coding)) {
      for (const c of value.type.coding.filter(isJsonObject)) {
        rows.push({ param: `${param}:of-type`, system: textOrNull(c.system), code: `${textOrNull(c.code) ?? ''}|${textOrNull(value.value) ?? ''}`, text: null });
      }
    }
    return rows;
  }
  if ('code' in value || 'system' in value) {
    return [{ param, system: textOrNull(value.system), code: textOrNull(value.code), text: normalizedOrNull(value.display) }];
  }
  return [];
}

function joinText(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return `${a} ${b}`;
}
