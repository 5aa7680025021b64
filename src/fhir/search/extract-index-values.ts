import type { ConceptMap, Resource } from 'fhir/r4';
import { FhirError } from '../fhir-error';
import { compileSearchExpression, type SearchExpression } from '../fhirpath/evaluate';
import { emptyIndexValues, indexValueCount, type IndexValues } from './index-values';
import { CORE_SEARCH_PARAMETER_BASE, type SearchParameterDefinition, type SearchParameterRegistry } from './search-parameter-registry';
import { isJsonObject } from '../validation/json-values';
import { conceptMapTranslations } from '../terminology/concept-map';
import { searchParameterType } from './types';
import { scalarComponentKeys } from './types/search-parameter-type';



/**
 * Characters of a resource's text that `_text` and `_content` index: PostgreSQL refuses a
 * tsvector over 1 MB, which 200,000 characters cannot reach (150,000 identifiers would).
 */
export const MAX_TEXT_INDEX_CHARS = 200_000;

/** Search index values one resource may give (identifiers, codes, references...): each is a row written with it. */
export const MAX_INDEX_VALUES = 50_000;


/**
 * Evaluates every applicable search parameter's FHIRPath expression on a resource and
 * turns the results into typed index values (its type's `extract`, types/). Expressions are compiled once per
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
      this.addValues(values, param, results);
    }
    const count = indexValueCount(values);
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

  private addValues(values: IndexValues, param: SearchParameterDefinition, results: unknown[]) {
    searchParameterType(param.type)?.extract({ param, results, evaluate: this.evaluateComponent, componentKeys }, values);
  }

  /** A composite's component expression on one of its values: never walked as a simple path. */
  private readonly evaluateComponent = (expression: string, input: unknown): unknown[] => this.evaluate(expression, input);
}

/** Keys under which a composite component of this type can be matched by equality (a plain value's text by default). */
function componentKeys(type: string, value: unknown): string[] {
  const keys = searchParameterType(type)?.componentKeys;
  return keys !== undefined ? keys(value) : scalarComponentKeys(value);
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
