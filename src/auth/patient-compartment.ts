import type { Resource } from 'fhir/r4';
import { PATIENT_COMPARTMENT } from '../fhir/search/compartment';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { ReferenceValue } from '../fhir/search/index-values';

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
