import type { Resource } from 'fhir/r4';
import { PATIENT_COMPARTMENT } from '../fhir/search/compartment';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { ReferenceValue } from '../fhir/search/index-values';
import type { Filter, ReferenceFilter, UriFilter } from '../fhir/search/search-request';
import { ID_CHARS } from '../fhir/resource-types';
import { LIBRARY_CANONICAL_BASE } from '../fhir/validation/validator';

/** True for the types that can belong to a patient's compartment (Patient included). */
export function isCompartmentType(resourceType: string): boolean {
  return resourceType === 'Patient' || PATIENT_COMPARTMENT.has(resourceType);
}

/** The compartment's parameters for a type; empty when the type is not in the compartment. */
export function compartmentParams(resourceType: string): readonly string[] {
  return PATIENT_COMPARTMENT.get(resourceType) ?? [];
}

/**
 * A reference is local when relative or absolute under our base: `http://elsewhere/fhir/Patient/1`
 * names another server's patient (R4 search.html#reference), not ours.
 */
function isLocal(ref: ReferenceValue, baseUrl: string): boolean {
  return ref.url === null || ref.url.startsWith(`${baseUrl}/`);
}

/**
 * The ids of the patients whose compartment holds this resource: a Patient is in its own
 * compartment; any other type through a compartment parameter that references Patient/id.
 */
export function compartmentPatients(resource: Resource, extractor: IndexValueExtractor, baseUrl: string): Set<string> {
  const patients = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id !== undefined) patients.add(resource.id);
  const params = compartmentParams(resource.resourceType);
  if (params.length === 0) return patients;
  for (const ref of extractor.extract(resource).reference) {
    if (ref.targetType === 'Patient' && ref.targetId !== null && params.includes(ref.param) && isLocal(ref, baseUrl)) {
      patients.add(ref.targetId);
    }
  }
  return patients;
}

const RELATIVE_REFERENCE = new RegExp(`^([A-Z][A-Za-z]+)\\/(${ID_CHARS})(?:\\/_history\\/${ID_CHARS})?$`);

/**
 * Every reference to a resource of this server in a resource, wherever it sits (any element,
 * extensions and contained resources included): relative `Type/id`, or absolute under our base.
 * `path` is the element's location, e.g. `Task.focus`.
 */
export function localReferences(resource: Resource, baseUrl: string): { resourceType: string; id: string; path: string }[] {
  const out: { resourceType: string; id: string; path: string }[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${path}[${i}]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'reference' && typeof value === 'string') {
        const relative = value.startsWith(`${baseUrl}/`) ? value.slice(baseUrl.length + 1) : value;
        const match = RELATIVE_REFERENCE.exec(relative);
        if (match) out.push({ resourceType: match[1], id: match[2], path });
      } else walk(value, `${path}.${key}`);
    }
  };
  walk(resource, resource.resourceType);
  return out;
}

/** Where the library's profiles live: library material of a compartment type declares one of them. */
export const LIBRARY_PROFILE_BASE = `${LIBRARY_CANONICAL_BASE}/StructureDefinition`;

/**
 * What anyone may read of a public type: everything (null) for a type outside the Patient
 * compartment (definitions and conformance resources, which have no element about a
 * patient); for a type in it (DocumentReference), library material only: a resource that
 * declares a profile of the library (`meta.profile` under LIBRARY_PROFILE_BASE) and references
 * no Patient through any of the compartment's parameters. A document a client stored without
 * that marking, or about a patient, is not public whatever else it holds.
 */
export function publicLibraryFilters(resourceType: string): Filter[] | null {
  const params = compartmentParams(resourceType);
  if (resourceType !== 'Patient' && params.length === 0) return null;
  const noPatient: ReferenceFilter = { kind: 'reference', param: params[0] ?? 'link', anyOfParams: params, values: [{ targetType: 'Patient' }], not: true };
  const libraryProfile: UriFilter = { kind: 'uri', param: '_profile', modifier: 'below', values: [LIBRARY_PROFILE_BASE] };
  return [noPatient, libraryProfile];
}
