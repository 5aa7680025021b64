import type { Resource } from 'fhir/r4';
import { R4_TOP_LEVEL_ELEMENTS } from './r4-core-elements.generated';
import type { SummaryMode } from './search/search-request';

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
