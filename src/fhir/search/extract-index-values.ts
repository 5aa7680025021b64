import type { ConceptMap, Resource } from 'fhir/r4';
import { FhirError } from '../fhir-error';
import { compileSearchExpression, type SearchExpression } from '../fhirpath/evaluate';
import { parseDateRange, timestampText } from './date-range';
import { emptyIndexValues, type IndexValues, type TokenValue } from './index-values';
import { normalizeString } from './normalize';
import { CORE_SEARCH_PARAMETER_BASE, type SearchParameterDefinition, type SearchParameterRegistry } from './search-parameter-registry';
import { isJsonObject } from '../validation/json-values';
import { conceptMapTranslations } from '../terminology/concept-map';
import { ID_CHARS } from '../resource-types';



/**
 * Characters of a resource's text that `_text` and `_content` index: PostgreSQL refuses a
 * tsvector over 1 MB, which 200,000 characters cannot reach (150,000 identifiers would).
 */
export const MAX_TEXT_INDEX_CHARS = 200_000;

/** Search index values one resource may give (identifiers, codes, references...): each is a row written with it. */
export const MAX_INDEX_VALUES = 50_000;

const CONTACT_POINT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);
const INFINITY_START = '-infinity';
const INFINITY_END = 'infinity';

/**
 * Evaluates every applicable search parameter's FHIRPath expression on a resource and
 * turns the results into typed index values. Expressions are compiled once per
 * (type, parameter) and cached; the FHIRPath module picks the engine (plain element paths are walked directly).
 */
export class IndexValueExtractor {
  private readonly compiled = new Map<string, SearchExpression>();

  constructor(
    private readonly registry: SearchParameterRegistry,
    private readonly options: { simplePaths?: boolean } = {},
  ) {}

  /** The R4 core parameters are the specification's own; every other expression is a client's and runs within the FHIRPath limits. */
  extract(resource: Resource): IndexValues {
    const values = emptyIndexValues();
    for (const param of this.registry.indexedForType(resource.resourceType)) {
      // A composite's values are evaluated again by the engine (its components): they stay the engine's.
      const results = this.evaluate(param.expression!, resource, param.type !== 'composite', !param.url.startsWith(CORE_SEARCH_PARAMETER_BASE) ? param.url : undefined);
      if (results.length === 0) continue;
      this.addValues(values, param, results, resource);
    }
    const count = values.token.length + values.string.length + values.date.length + values.reference.length + values.number.length + values.quantity.length + values.uri.length + values.composite.length;
    if (count > MAX_INDEX_VALUES) {
      throw FhirError.of(422, 'too-costly', `The ${resource.resourceType} gives ${count} search index values; at most ${MAX_INDEX_VALUES} are accepted for one resource`);
    }
    if (resource.resourceType === 'ConceptMap') values.translation = conceptMapTranslations(resource as ConceptMap);
    values.narrative = narrativeText(resource).slice(0, MAX_TEXT_INDEX_CHARS);
    values.content = [values.narrative, ...collectStrings(resource)].join(' ').slice(0, MAX_TEXT_INDEX_CHARS);
    return values;
  }

  /** `limitedAs`: the SearchParameter a client defined, evaluated within the FHIRPath limits (over them: a 400 FhirError). */
  private evaluate(expression: string, input: unknown, simple = false, limitedAs?: string): unknown[] {
    const walk = simple && this.options.simplePaths !== false;
    const key = walk ? `simple:${expression}` : expression;
    let fn = this.compiled.get(key);
    if (fn === undefined) {
      fn = compileSearchExpression(expression, { simplePaths: walk });
      this.compiled.set(key, fn);
    }
    try {
      return fn(input, limitedAs);
    } catch (error) {
      if (error instanceof FhirError) throw error;
      // A core expression that this engine cannot evaluate for this resource indexes nothing.
      return [];
    }
  }

  private addValues(values: IndexValues, param: SearchParameterDefinition, results: unknown[], resource: Resource) {
    const code = param.code;
    switch (param.type) {
      case 'token':
        for (const r of results) values.token.push(...tokenValues(code, r));
        break;
      case 'string':
        for (const r of results) for (const s of stringParts(r)) values.string.push({ param: code, value: s, normalized: normalizeString(s) });
        break;
      case 'date':
        for (const r of results) {
          const range = dateRange(r);
          if (range) values.date.push({ param: code, ...range });
        }
        break;
      case 'reference':
        for (const r of results) {
          const ref = referenceValue(r);
          if (ref) values.reference.push({ param: code, ...ref });
          // `[param]:identifier` searches Reference.identifier (R4 search.html#reference).
          if (isJsonObject(r) && isJsonObject(r.identifier)) values.token.push(...tokenValues(`${code}:identifier`, r.identifier));
        }
        break;
      case 'uri':
        for (const r of results) if (typeof r === 'string') values.uri.push({ param: code, value: r });
        break;
      case 'number':
        for (const r of results) {
          const n = typeof r === 'number' ? r : Number.NaN;
          if (Number.isFinite(n)) values.number.push({ param: code, value: n, ...numberRange(n) });
        }
        break;
      case 'quantity':
        for (const r of results) {
          if (!isJsonObject(r) || typeof r.value !== 'number') continue;
          values.quantity.push({
            param: code,
            value: r.value,
            ...numberRange(r.value),
            system: str(r.system),
            code: str(r.code),
            unit: str(r.unit),
          });
        }
        break;
      case 'composite':
        for (const r of results) values.composite.push(...this.compositeValues(param, r, resource));
        break;
      default:
        break;
    }
  }

  private compositeValues(param: SearchParameterDefinition, item: unknown, _resource: Resource) {
    if (param.components.length !== 2) return [];
    const [first, second] = param.components;
    const keys1 = this.evaluate(first.expression, item).flatMap((v) => componentKeys(first.type, v));
    const seconds = this.evaluate(second.expression, item);
    const rows = [];
    for (const v of seconds) {
      const keys2 = componentKeys(second.type, v);
      const numeric = isJsonObject(v) && typeof v.value === 'number' ? v.value : typeof v === 'number' ? v : null;
      for (const k1 of keys1) for (const k2 of keys2) rows.push({ param: param.code, component1: k1, component2: k2, value2: numeric });
    }
    return rows;
  }
}


function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function norm(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? normalizeString(v) : null;
}

/** Token forms: code, boolean, Coding, CodeableConcept, Identifier, ContactPoint. */
export function tokenValues(param: string, value: unknown): TokenValue[] {
  if (typeof value === 'string') return [{ param, system: null, code: value, text: null }];
  if (typeof value === 'boolean') return [{ param, system: null, code: String(value), text: null }];
  if (!isJsonObject(value)) return [];
  if (Array.isArray(value.coding) || typeof value.text === 'string') {
    const text = norm(value.text);
    const rows: TokenValue[] = (Array.isArray(value.coding) ? value.coding : [])
      .filter(isJsonObject)
      .map((c) => ({ param, system: str(c.system), code: str(c.code), text: joinText(text, norm(c.display)) }));
    if (rows.length === 0 && text !== null) rows.push({ param, system: null, code: null, text });
    return rows;
  }
  if ('value' in value && !('code' in value)) {
    // Identifier or ContactPoint
    const system = str(value.system);
    if (system !== null && CONTACT_POINT_SYSTEMS.has(system) && !system.includes(':')) {
      return [{ param, system: null, code: str(value.value), text: null }];
    }
    const rows: TokenValue[] = [{ param, system, code: str(value.value), text: norm(isJsonObject(value.type) ? value.type.text : undefined) }];
    // :of-type needs the identifier's type coding together with its value.
    if (isJsonObject(value.type) && Array.isArray(value.type.coding)) {
      for (const c of value.type.coding.filter(isJsonObject)) {
        rows.push({ param: `${param}:of-type`, system: str(c.system), code: `${str(c.code) ?? ''}|${str(value.value) ?? ''}`, text: null });
      }
    }
    return rows;
  }
  if ('code' in value || 'system' in value) {
    return [{ param, system: str(value.system), code: str(value.code), text: norm(value.display) }];
  }
  return [];
}

function joinText(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return `${a} ${b}`;
}

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

const RELATIVE_REFERENCE = new RegExp(`^(?:(.*)/)?([A-Z][A-Za-z]+)/(${ID_CHARS})(?:/_history/(${ID_CHARS}))?$`);

/** Reference (relative or absolute) or canonical (`url|version`). */
export function referenceValue(
  value: unknown,
): { targetType: string | null; targetId: string | null; url: string | null; version: string | null } | undefined {
  if (typeof value === 'string') {
    const [url, version] = value.split('|');
    const m = RELATIVE_REFERENCE.exec(url);
    return { targetType: m ? m[2] : null, targetId: m ? m[3] : null, url, version: version ?? null };
  }
  if (!isJsonObject(value)) return undefined;
  const reference = str(value.reference);
  if (reference === null) return undefined;
  if (reference.startsWith('#')) return undefined;
  const m = RELATIVE_REFERENCE.exec(reference);
  if (!m) return { targetType: str(value.type), targetId: null, url: reference, version: null };
  const [, prefix, type, id, version] = m;
  return { targetType: type, targetId: id, url: prefix ? reference : null, version: version ?? null };
}

/** Implicit precision range of a decimal (R4 search.html#number): 100 is [99.5, 100.5). */
export function numberRange(value: number): { low: number; high: number } {
  const text = String(value);
  const decimals = text.includes('.') ? text.split('.')[1].length : 0;
  const half = 0.5 * Math.pow(10, -decimals);
  return { low: value - half, high: value + half };
}

/** Keys under which a composite component can be matched by equality. */
function componentKeys(type: string, value: unknown): string[] {
  if (type === 'token') {
    return tokenValues('', value).flatMap((t) => {
      const keys: string[] = [];
      if (t.code !== null) {
        keys.push(t.code);
        keys.push(t.system !== null ? `${t.system}|${t.code}` : `|${t.code}`);
      }
      return keys;
    });
  }
  if (type === 'quantity' && isJsonObject(value)) return [String(value.system ?? ''), ''].map((s) => `${s}|${String(value.code ?? '')}`);
  if (type === 'string') return stringParts(value).map(normalizeString);
  if (type === 'reference') {
    const ref = referenceValue(value);
    return ref && ref.targetType && ref.targetId ? [`${ref.targetType}/${ref.targetId}`] : [];
  }
  if (typeof value === 'string' || typeof value === 'number') return [String(value)];
  return [];
}

/** Text of the narrative div without markup. */
export function narrativeText(resource: Resource): string {
  const div = (resource as { text?: { div?: string } }).text?.div;
  return typeof div === 'string' ? htmlToText(div) : '';
}

function htmlToText(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

const SKIPPED_KEYS = new Set(['div', 'data', 'resourceType', 'id', 'meta', 'url', 'reference', 'system', 'version']);

/** Every human-readable string of a resource, plus the decoded text of text/* attachments. */
export function collectStrings(resource: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') {
      if (!SKIPPED_KEYS.has(key)) out.push(node);
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) walk(item, key);
      return;
    }
    if (!isJsonObject(node)) return;
    if (typeof node.contentType === 'string' && typeof node.data === 'string') {
      const text = attachmentText(node.contentType, node.data);
      if (text) out.push(text);
    }
    for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(resource, '');
  return out;
}

function attachmentText(contentType: string, data: string): string | undefined {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (!type.startsWith('text/')) return undefined;
  const decoded = Buffer.from(data, 'base64').toString('utf8');
  return type === 'text/html' ? htmlToText(decoded) : decoded;
}
