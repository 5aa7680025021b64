import type { Resource } from 'fhir/r4';
import { R4_TOP_LEVEL_ELEMENTS } from './r4-core-elements.generated';
import { FhirError } from './fhir-error';
import type { SummaryMode } from './search/search-request';
import { baseDefinitions } from './validation/base-definitions';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

interface TypeElements {
  summary: ReadonlySet<string>;
  mandatory: ReadonlySet<string>;
}

const elementsByType = new Map<string, TypeElements>();
const UNKNOWN_TYPE: TypeElements = { summary: new Set(['id', 'meta']), mandatory: new Set(['id', 'meta']) };

/** Top-level elements marked isSummary / min > 0 in the R4 StructureDefinitions. */
function typeElements(resourceType: string): TypeElements {
  let elements = elementsByType.get(resourceType);
  if (elements === undefined) {
    if (!Object.hasOwn(R4_TOP_LEVEL_ELEMENTS, resourceType)) return UNKNOWN_TYPE;
    const generated = R4_TOP_LEVEL_ELEMENTS[resourceType];
    elements = { summary: new Set(generated.summary), mandatory: new Set(generated.mandatory) };
    elementsByType.set(resourceType, elements);
  }
  return elements;
}

function keep(resource: Resource, allowed: (key: string) => boolean): Resource {
  const out: Record<string, unknown> = { resourceType: resource.resourceType };
  for (const [key, value] of Object.entries(resource)) {
    const base = key.replace(/^_/, '');
    if (key === 'resourceType') continue;
    const choiceBase = base.replace(/[A-Z][A-Za-z]*$/, '');
    if (allowed(base) || allowed(choiceBase)) out[key] = value;
  }
  const meta = (out.meta as Resource['meta']) ?? {};
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return out as unknown as Resource;
}

/** R4 search.html#summary: the subset of a resource that `_summary` asks for. */
export function applySummary(resource: Resource, mode: SummaryMode): Resource {
  if (mode === 'false' || mode === 'count') return resource;
  const { summary, mandatory } = typeElements(resource.resourceType);
  if (mode === 'true') return keep(resource, (k) => summary.has(k));
  if (mode === 'text') return keep(resource, (k) => k === 'text' || k === 'id' || k === 'meta' || mandatory.has(k));
  return keep(resource, (k) => k !== 'text');
}

/** R4 search.html#elements: the listed top-level elements plus the mandatory ones. */
export function applyElements(resource: Resource, elements: string[]): Resource {
  const { mandatory } = typeElements(resource.resourceType);
  const wanted = new Set(elements.map((e) => e.split('.')[0]));
  return keep(resource, (k) => wanted.has(k) || mandatory.has(k));
}

const READ_SUMMARY_MODES: readonly SummaryMode[] = ['true', 'text', 'data', 'false'];
const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

/**
 * `_summary` and `_elements` on a read, vread or `/metadata` (R4 search.html#summary, #elements:
 * they apply to any interaction that returns a resource). Returns the stored text unchanged when
 * neither is given; `_summary=count` has no meaning for one resource and answers 400.
 */
export function shapeRead(content: string, params: ReadonlyArray<readonly [string, string]>): string {
  const summary = params.find(([k]) => k === '_summary')?.[1];
  const elementLists = params.filter(([k]) => k === '_elements').map(([, v]) => v);
  if (summary === undefined && elementLists.length === 0) return content;
  if (summary !== undefined && !READ_SUMMARY_MODES.includes(summary as SummaryMode)) {
    throw FhirError.badRequest(`_summary on a read must be one of ${READ_SUMMARY_MODES.join(', ')}, got "${summary}"`, '_summary');
  }
  let resource = JSON.parse(content) as Resource;
  if (summary === 'true') return JSON.stringify(deepSummary(resource));
  if (summary !== undefined && summary !== 'false') return JSON.stringify(applySummary(resource, summary as SummaryMode));
  const elements = elementLists.flatMap((v) => v.split(',').map((e) => e.trim()).filter((e) => e !== ''));
  if (elements.some((e) => !ELEMENT_NAME.test(e))) throw FhirError.badRequest(`_elements must list element names, got "${elementLists.join(',')}"`, '_elements');
  if (elements.length === 0) return content;
  resource = applyElements(resource, elements.map((e) => e.replace(/^[A-Z][A-Za-z]*\./, '')));
  return JSON.stringify(resource);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The paths of the core elements that have children of their own in the same definition (backbone elements). */
let backbonePaths: Set<string> | undefined;
function isBackbone(path: string): boolean {
  if (backbonePaths === undefined) {
    backbonePaths = new Set();
    for (const p of baseDefinitions().elementsByPath.keys()) {
      const dot = p.lastIndexOf('.');
      if (dot > 0 && p.indexOf('.') !== dot) backbonePaths.add(p.slice(0, dot));
    }
  }
  return backbonePaths.has(path);
}

function elementAt(path: string, key: string) {
  const elements = baseDefinitions().elementsByPath;
  const direct = elements.get(`${path}.${key}`);
  if (direct) return { definition: direct, path: `${path}.${key}` };
  // A choice element: valueQuantity is value[x].
  for (let i = 1; i < key.length; i++) {
    if (!/[A-Z]/.test(key.charAt(i))) continue;
    const choice = elements.get(`${path}.${key.slice(0, i)}[x]`);
    if (choice) return { definition: choice, path: `${path}.${key.slice(0, i)}[x]` };
  }
  return undefined;
}

function summarizeObject(value: JsonObject, path: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'resourceType') {
      out[key] = child;
      continue;
    }
    const found = elementAt(path, key.replace(/^_/, ''));
    if (!found || found.definition.isSummary !== true) continue;
    if (!isBackbone(found.path)) out[key] = child;
    else if (Array.isArray(child)) out[key] = child.map((c) => (isObject(c) ? summarizeObject(c, found.path) : c));
    else out[key] = isObject(child) ? summarizeObject(child, found.path) : child;
  }
  return out;
}

/**
 * `_summary=true` at every depth (R4 search.html#summary): the elements marked isSummary in the
 * resource's definition, inside backbone elements too (a CapabilityStatement keeps its resource
 * types and their operations, not their search parameters), tagged SUBSETTED.
 */
export function deepSummary(resource: Resource): Resource {
  const out = summarizeObject(resource as unknown as JsonObject, resource.resourceType);
  const meta = (out.meta as Resource['meta']) ?? {};
  out.meta = { ...meta, tag: [...(meta.tag ?? []), SUBSETTED] };
  return out as unknown as Resource;
}
