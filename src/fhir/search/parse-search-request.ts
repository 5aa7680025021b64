import type { OperationOutcomeIssue } from 'fhir/r4';
import { FhirError } from '../fhir-error';
import { issue } from '../operation-outcome';
import { splitEscaped, unescapeValue } from './escaping';
import type { Filter, IncludeRequest, SearchRequest, SortKey, SummaryMode } from './search-request';
import type { SearchParameterDefinition, SearchParameterRegistry } from './search-parameter-registry';
import { searchParameterType } from './types';
import { parseRangeValue } from './types/date';

export interface ParseOptions {
  registry: SearchParameterRegistry;
  isResourceType: (type: string) => boolean;
  defaultCount: number;
  maxCount: number;
  /** Base URL of this server: absolute references to it are read as relative ones. */
  baseUrl: string;
  /** `Prefer: handling=strict`: unknown parameters are an error instead of a warning. */
  strict: boolean;
}

export interface ParsedSearch {
  request: SearchRequest;
  /** Parameters ignored (lenient handling), reported in an OperationOutcome entry. */
  warnings: OperationOutcomeIssue[];
}

/** Parameters of the HTTP layer, not of the search. */
const TRANSPORT_PARAMS = new Set(['_format', '_pretty']);
const SUMMARY_MODES: SummaryMode[] = ['true', 'text', 'data', 'count', 'false'];
const MAX_CHAIN_DEPTH = 4;
const MAX_OR_VALUES = 1000;
const NUL = String.fromCharCode(0);

/** Parses the parameters of a search into a SearchRequest. Throws FhirError(400) on bad values. */
export function parseSearchRequest(
  resourceTypes: string[],
  params: [string, string][],
  options: ParseOptions,
): ParsedSearch {
  const warnings: OperationOutcomeIssue[] = [];
  const request: SearchRequest = {
    resourceTypes,
    filters: [],
    sort: [],
    count: options.defaultCount,
    total: undefined,
    summary: undefined,
    elements: undefined,
    includes: [],
    cursor: undefined,
    applied: [],
  };
  const ignore = (name: string, why: string) => {
    if (options.strict) throw FhirError.badRequest(`${why}`, name);
    warnings.push(issue('warning', 'not-supported', `${why}; the parameter was ignored`, name));
  };

  for (const [rawName, rawValue] of params) {
    // NUL cannot be stored or compared as Postgres text: refuse it before any SQL.
    if (rawName.includes(NUL) || rawValue.includes(NUL)) {
      throw FhirError.badRequest('A search parameter name or value contains a NUL character', rawName.split(NUL).join(''));
    }
    const name = rawName.trim();
    if (TRANSPORT_PARAMS.has(name) || name === '_type') continue;
    // R4 search.html#errors: "Empty parameters are not an error - they are just ignored".
    if (name === '' || splitEscaped(rawValue, ',').every((v) => v.trim() === '')) continue;
    switch (name) {
      case '_count': {
        if (!/^\d+$/.test(rawValue)) throw FhirError.badRequest(`_count must be a whole number, got "${rawValue}"`, '_count');
        request.count = Math.min(Number(rawValue), options.maxCount);
        request.applied.push([name, String(request.count)]);
        continue;
      }
      case '_total': {
        if (!['none', 'estimate', 'accurate'].includes(rawValue)) {
          throw FhirError.badRequest(`_total must be none, estimate or accurate, got "${rawValue}"`, '_total');
        }
        request.total = rawValue as SearchRequest['total'];
        request.applied.push([name, rawValue]);
        continue;
      }
      case '_summary': {
        if (!SUMMARY_MODES.includes(rawValue as SummaryMode)) {
          throw FhirError.badRequest(`_summary must be one of ${SUMMARY_MODES.join(', ')}, got "${rawValue}"`, '_summary');
        }
        request.summary = rawValue as SummaryMode;
        request.applied.push([name, rawValue]);
        continue;
      }
      case '_elements': {
        const elements = rawValue.split(',').map((e) => e.trim()).filter((e) => e !== '');
        if (elements.some((e) => !/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(e))) {
          throw FhirError.badRequest(`_elements must list element names, got "${rawValue}"`, '_elements');
        }
        request.elements = [...(request.elements ?? []), ...elements.map((e) => e.replace(/^[A-Z][A-Za-z]*\./, ''))];
        request.applied.push([name, rawValue]);
        continue;
      }
      case '_sort': {
        request.sort = parseSort(rawValue, resourceTypes, options);
        request.applied.push([name, rawValue]);
        continue;
      }
      case '_cursor': {
        request.cursor = rawValue;
        continue;
      }
      case '_contained':
      case '_containedType':
      case '_query':
      case '_list':
      case '_filter':
        ignore(name, `The parameter ${name} is not supported`);
        continue;
      default:
        break;
    }
    const include = /^_(rev)?include(:iterate|:recurse)?$/.exec(name);
    if (include) {
      request.includes.push(parseInclude(rawValue, include[1] === 'rev', include[2] !== undefined, resourceTypes, options));
      request.applied.push([name, rawValue]);
      continue;
    }
    try {
      const filter = parseFilter(resourceTypes, name, rawValue, options, 0);
      if (filter === undefined) {
        ignore(name, `Unknown search parameter "${name.split(/[:.]/)[0]}" for ${resourceTypes.join(', ')}`);
        continue;
      }
      request.filters.push(filter);
      request.applied.push([name, rawValue]);
    } catch (error) {
      if (error instanceof UnknownParameter) {
        ignore(name, error.message);
        continue;
      }
      throw error;
    }
  }
  return { request, warnings };
}

class UnknownParameter extends Error {}

function lookup(types: string[], code: string, options: ParseOptions): SearchParameterDefinition | undefined {
  // Across several types (_type), a parameter must exist on every one of them.
  const defs = types.map((t) => options.registry.get(t, code));
  if (defs.some((d) => d === undefined)) return undefined;
  return defs[0];
}

function parseFilter(types: string[], name: string, value: string, options: ParseOptions, depth: number): Filter | undefined {
  if (depth > MAX_CHAIN_DEPTH) throw FhirError.badRequest(`Chains are limited to ${MAX_CHAIN_DEPTH} levels`, name);
  if (name.startsWith('_has:')) return parseHas(types, name, value, options, depth);
  const dot = name.indexOf('.');
  if (dot > 0) return parseChain(types, name.slice(0, dot), name.slice(dot + 1), value, options, depth);
  const [code, modifier] = splitModifier(name);
  if (code === '_id') {
    if (modifier !== undefined && modifier !== 'not' && modifier !== 'missing') {
      throw FhirError.badRequest(`Modifier :${modifier} is not allowed on _id`, name);
    }
    if (modifier === 'missing') return { kind: 'id', values: [], not: parseBoolean(value, name) };
    return { kind: 'id', values: orValues(value, name).map(unescapeValue), not: modifier === 'not' };
  }
  if (code === '_lastUpdated') {
    if (modifier !== undefined) throw FhirError.badRequest(`Modifier :${modifier} is not allowed on _lastUpdated`, name);
    return { kind: 'lastUpdated', values: orValues(value, name).map((v) => parseRangeValue(v, name)) };
  }
  if (code === '_text' || code === '_content') {
    if (modifier !== undefined) throw FhirError.badRequest(`Modifier :${modifier} is not allowed on ${code}`, name);
    return { kind: 'fulltext', field: code === '_text' ? 'narrative' : 'content', values: orValues(value, name).map(unescapeValue) };
  }
  const def = lookup(types, code, options);
  if (def === undefined) return undefined;
  if (modifier === 'missing') {
    return { kind: 'missing', param: code, paramType: def.type, missing: parseBoolean(value, name) };
  }
  const values = orValues(value, name);
  const type = searchParameterType(def.type);
  if (type === undefined) throw new UnknownParameter(`Search parameter ${code} of type ${def.type} is not supported`);
  return type.parse({
    code,
    name,
    modifier,
    values,
    definition: def,
    baseUrl: options.baseUrl,
    isResourceType: options.isResourceType,
  });
}

function splitModifier(name: string): [string, string | undefined] {
  const i = name.indexOf(':');
  return i < 0 ? [name, undefined] : [name.slice(0, i), name.slice(i + 1)];
}

function orValues(value: string, name: string): string[] {
  // Empty alternatives (`a,,b`) are ignored like empty parameters.
  const values = splitEscaped(value, ',').filter((v) => v !== '');
  if (values.length > MAX_OR_VALUES) throw FhirError.badRequest(`At most ${MAX_OR_VALUES} values may be ORed`, name);
  if (values.length === 0) throw FhirError.badRequest(`No value in "${value}"`, name);
  return values;
}

function parseBoolean(value: string, name: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw FhirError.badRequest(`:missing takes true or false, got "${value}"`, name);
}

function parseChain(
  types: string[],
  head: string,
  rest: string,
  value: string,
  options: ParseOptions,
  depth: number,
): Filter | undefined {
  const [code, typeModifier] = splitModifier(head);
  const def = lookup(types, code, options);
  if (def === undefined) return undefined;
  if (def.type !== 'reference') throw FhirError.badRequest(`${code} is not a reference parameter and cannot be chained`, head);
  let targets = typeModifier !== undefined ? [typeModifier] : def.target;
  if (typeModifier !== undefined && !options.isResourceType(typeModifier)) {
    throw FhirError.badRequest(`${typeModifier} is not a resource type`, head);
  }
  // Without a type modifier, the chained parameter must exist on the possible targets.
  const [nextCode] = splitModifier(rest.split('.')[0]);
  targets = targets.filter((t) => t !== 'Resource' && (nextCode.startsWith('_') || options.registry.get(t, nextCode) !== undefined));
  if (targets.length === 0) throw new UnknownParameter(`No target of ${code} has a search parameter "${nextCode}"`);
  if (targets.length > 1 && typeModifier === undefined) {
    // Ambiguous chains are answered over every target that has the parameter.
  }
  const filters = targets.map((t) => parseFilter([t], rest, value, options, depth + 1));
  const filter = filters.find((f) => f !== undefined);
  if (filter === undefined) throw new UnknownParameter(`Unknown chained parameter ${rest}`);
  return { kind: 'chain', param: code, targetTypes: targets, filter, localBase: options.baseUrl };
}

function parseHas(types: string[], name: string, value: string, options: ParseOptions, depth: number): Filter {
  // _has:Type:reference:rest
  const m = /^_has:([A-Za-z]+):([A-Za-z0-9\-_]+):(.+)$/.exec(name);
  if (!m) throw FhirError.badRequest(`_has takes the form _has:Type:reference:parameter, got "${name}"`, name);
  const [, sourceType, referenceParam, rest] = m;
  if (!options.isResourceType(sourceType)) throw FhirError.badRequest(`${sourceType} is not a resource type`, name);
  const ref = options.registry.get(sourceType, referenceParam);
  if (ref === undefined || ref.type !== 'reference') {
    throw new UnknownParameter(`${sourceType} has no reference parameter "${referenceParam}"`);
  }
  void types;
  const filter = parseFilter([sourceType], rest, value, options, depth + 1);
  if (filter === undefined) throw new UnknownParameter(`Unknown parameter ${rest} on ${sourceType}`);
  return { kind: 'has', sourceType, referenceParam, filter, localBase: options.baseUrl };
}

function parseSort(value: string, types: string[], options: ParseOptions): SortKey[] {
  return value.split(',').map((raw) => {
    const key = raw.trim();
    const descending = key.startsWith('-');
    const code = descending ? key.slice(1) : key;
    if (code === '_id' || code === '_lastUpdated') return { param: code, paramType: code, descending };
    const def = lookup(types, code, options);
    if (def === undefined) throw FhirError.badRequest(`Cannot sort by unknown parameter "${code}"`, '_sort');
    if (searchParameterType(def.type)?.sortable !== true) {
      throw FhirError.badRequest(`Cannot sort by ${def.type} parameter "${code}"`, '_sort');
    }
    return { param: code, paramType: def.type, descending };
  });
}

function parseInclude(
  value: string,
  reverse: boolean,
  iterate: boolean,
  types: string[],
  options: ParseOptions,
): IncludeRequest {
  const name = reverse ? '_revinclude' : '_include';
  // `*`: every reference parameter of every type involved.
  if (value === '*') return { sourceType: '*', param: undefined, targetType: undefined, iterate, reverse };
  void types;
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw FhirError.badRequest(`${name} takes Type:parameter[:targetType] or *, got "${value}"`, name);
  }
  const [sourceType, param, targetType] = parts;
  if (!options.isResourceType(sourceType)) throw FhirError.badRequest(`${sourceType} is not a resource type`, name);
  if (targetType !== undefined && !options.isResourceType(targetType)) {
    throw FhirError.badRequest(`${targetType} is not a resource type`, name);
  }
  if (param === '*') return { sourceType, param: undefined, targetType, iterate, reverse };
  const def = options.registry.get(sourceType, param);
  if (def === undefined || def.type !== 'reference') {
    throw FhirError.badRequest(`${sourceType} has no reference parameter "${param}"`, name);
  }
  return { sourceType, param, targetType, iterate, reverse };
}
