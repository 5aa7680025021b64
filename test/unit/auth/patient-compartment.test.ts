import type { Resource } from 'fhir/r4';
import { compartmentParams, compartmentPatients, isCompartmentType } from '../../../src/auth/patient-compartment';
import { IndexValueExtractor } from '../../../src/fhir/search/extract-index-values';
import { SearchParameterRegistry } from '../../../src/fhir/search/search-parameter-registry';
import { RESOURCE_TYPES } from '../../../src/fhir/resource-types';

const extractor = new IndexValueExtractor(SearchParameterRegistry.withCoreParameters(RESOURCE_TYPES));
const patients = (resource: object) => [...compartmentPatients(resource as Resource, extractor, 'http://fhir.test/fhir')].sort();

describe('Patient compartment (R4 compartmentdefinition-patient)', () => {
  test('the parameters come from the R4 definition', () => {
    expect(compartmentParams('Task')).toEqual(['patient', 'focus']);
    expect(compartmentParams('QuestionnaireResponse')).toEqual(['subject', 'author']);
    expect(compartmentParams('PlanDefinition')).toEqual([]);
    expect(isCompartmentType('Patient')).toBe(true);
    expect(isCompartmentType('Practitioner')).toBe(false);
  });

  test('a resource belongs to the patients it references through those parameters', () => {
    expect(patients({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/a' }, owner: { reference: 'Patient/b' } })).toEqual(['a']);
    expect(patients({ resourceType: 'QuestionnaireResponse', status: 'completed', subject: { reference: 'Patient/a' }, author: { reference: 'Patient/c' } })).toEqual(['a', 'c']);
    expect(patients({ resourceType: 'Patient', id: 'a', link: [{ other: { reference: 'Patient/z' }, type: 'seealso' }] })).toEqual(['a', 'z']);
  });

  test('only local references count: another server\'s Patient/a is not ours', () => {
    expect(patients({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'http://elsewhere/fhir/Patient/a' } })).toEqual([]);
    expect(patients({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'http://fhir.test/fhir/Patient/a' } })).toEqual(['a']);
  });
});
