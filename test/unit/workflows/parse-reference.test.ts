import { parseReference } from '../../../src/workflows/fhir-lookup';
import { LIBRARY_CANONICAL_BASE } from '../../../src/fhir/validation/validator';

describe('parseReference', () => {
  const base = 'http://fhir.test/fhir';

  test.each([
    ['Patient/1', { resourceType: 'Patient', id: '1' }],
    ['Patient/1/_history/2', { resourceType: 'Patient', id: '1' }],
    [`${base}/Patient/1`, { resourceType: 'Patient', id: '1' }],
    [`${LIBRARY_CANONICAL_BASE}/DocumentReference/d-1`, { resourceType: 'DocumentReference', id: 'd-1' }],
  ])('%s names a resource of this server', (reference, expected) => {
    expect(parseReference(reference, [base, LIBRARY_CANONICAL_BASE])).toEqual(expected);
  });

  test.each([
    'http://elsewhere.example/fhir/Patient/1',
    `${base}x/Patient/1`,
    'Observation/Patient/1',
    'Patient/not_an_id',
    '#contained',
    'urn:uuid:0b9f1b4a-2b4c-4f0e-9d2a-6a1e8d7c5b3a',
  ])('%s does not', (reference) => {
    expect(parseReference(reference, [base, LIBRARY_CANONICAL_BASE])).toBeUndefined();
  });

  test('without the server base, only relative references and the library canonical base are local', () => {
    expect(parseReference(`${base}/Patient/1`)).toBeUndefined();
    expect(parseReference('Patient/1')).toEqual({ resourceType: 'Patient', id: '1' });
    expect(parseReference(`${LIBRARY_CANONICAL_BASE}/Questionnaire/q`)).toEqual({ resourceType: 'Questionnaire', id: 'q' });
  });
});
