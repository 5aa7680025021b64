import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Resource } from 'fhir/r4';
import { generateResources, planLibrary } from '../../../bench/generate-library';
import { RESOURCE_TYPES } from '../../../src/fhir/resource-types';
import { IndexValueExtractor } from '../../../src/fhir/search/extract-index-values';
import { compileSimplePath } from '../../../src/fhir/search/simple-path';
import { SearchParameterRegistry } from '../../../src/fhir/search/search-parameter-registry';

/**
 * Plain element paths are walked directly instead of by the FHIRPath engine: the index values
 * must be exactly those the engine gives, on our content, the fixtures, a benchmark library and
 * the awkward cases (primitive extensions, nulls in arrays, contentReference elements).
 */
const ROOT = path.resolve(__dirname, '../../..');
const registry = SearchParameterRegistry.withCoreParameters(RESOURCE_TYPES);
const fast = new IndexValueExtractor(registry);
const engine = new IndexValueExtractor(registry, { simplePaths: false });

function jsonFiles(dir: string): Resource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Resource);
}

const awkward: Resource[] = [
  {
    resourceType: 'Patient',
    id: 'awkward',
    _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] },
    name: [{ family: 'Null', given: ['First', null as unknown as string], _given: [null, { extension: [{ url: 'urn:x', valueString: 'y' }] }] }],
    telecom: [{ system: 'email', value: 'a@b.c' }, { system: 'phone', value: '123' }],
    address: [{ line: ['1 Main St'], city: 'Town', postalCode: '1234' }],
    active: true,
    meta: { profile: ['urn:p1', 'urn:p2'], tag: [{ system: 'urn:t', code: 'x' }], source: 'urn:s' },
    generalPractitioner: [{ reference: 'Practitioner/1' }, { identifier: { value: 'no-reference' } }],
    link: [{ other: { reference: 'http://example.org/fhir/Patient/9' }, type: 'seealso' }],
  } as unknown as Resource,
  {
    resourceType: 'Task',
    id: 'patients',
    status: 'requested',
    intent: 'order',
    for: { reference: 'http://example.org/fhir/Patient/7' },
    owner: { reference: 'Patient/8' },
    focus: { reference: 'Group/Patient/1' },
  } as Resource,
  {
    resourceType: 'QuestionnaireResponse',
    id: 'not-a-patient',
    status: 'completed',
    subject: { reference: 'Group/5', display: 'Patient/ in a display' },
  } as Resource,
  {
    resourceType: 'Questionnaire',
    id: 'nested',
    status: 'active',
    item: [{ linkId: 'a', type: 'group', code: [{ system: 'urn:c', code: 'outer' }], item: [{ linkId: 'b', type: 'string', code: [{ system: 'urn:c', code: 'inner' }] }] }],
  } as Resource,
  {
    resourceType: 'Patient',
    id: 'deceased-and-telecom',
    deceasedDateTime: '2020-02-03',
    telecom: [
      { system: 'email', value: 'a@b.c' },
      { system: 'email', value: 'a@b.c' },
      { _system: { extension: [{ url: 'urn:x', valueString: 'email' }] }, value: 'no-system' },
      { system: 'phone', value: '1' },
    ],
  } as unknown as Resource,
  { resourceType: 'Patient', id: 'deceased-flag', deceasedBoolean: true } as Resource,
  {
    resourceType: 'DocumentReference',
    id: 'identifiers',
    status: 'current',
    masterIdentifier: { system: 'urn:s', value: '1' },
    identifier: [{ system: 'urn:s', value: '1' }, { system: 'urn:s', value: '2' }, { system: 'urn:s', value: '2' }],
    content: [{ attachment: { url: 'urn:a' } }],
  } as Resource,
  {
    resourceType: 'PlanDefinition',
    id: 'artifacts',
    status: 'active',
    library: ['urn:lib', 'urn:lib'],
    relatedArtifact: [
      { type: 'depends-on', resource: 'urn:lib' },
      { type: 'depends-on', resource: 'urn:other' },
      { type: 'composed-of', resource: 'urn:part' },
      { type: 'predecessor', url: 'urn:no-resource' },
    ],
    useContext: [
      { code: { code: 'focus' }, valueCodeableConcept: { coding: [{ system: 'urn:c', code: 'x' }] } },
      { code: { code: 'age' }, valueRange: { low: { value: 18 }, high: { value: 80 } } },
      { code: { code: 'age' }, valueQuantity: { value: 3, system: 'urn:u', code: 'a' } },
    ],
  } as Resource,
  {
    resourceType: 'Observation',
    id: 'numbers',
    status: 'final',
    code: { text: 'n' },
    valueQuantity: { value: 1.5, unit: 'mg' },
    effectiveDateTime: '2024-02-03T04:05:06.789+02:00',
    component: [{ code: { text: 'c' }, valueQuantity: { value: 10, unit: 'mm' } }],
  } as Resource,
];

describe('simple element paths', () => {
  test('are recognised only where the R4 model makes them plain', () => {
    expect(compileSimplePath('Patient.name.given')).toBeDefined();
    expect(compileSimplePath('Questionnaire.item.item.code')).toBeDefined();
    expect(compileSimplePath('Patient.deceased')).toBeUndefined();
    expect(compileSimplePath('Observation.value')).toBeUndefined();
    expect(compileSimplePath('Patient.name | Practitioner.name')).toBeDefined();
    expect(compileSimplePath("Patient.telecom.where(system='email')")).toBeDefined();
    expect(compileSimplePath("PlanDefinition.relatedArtifact.where(type='depends-on').resource | PlanDefinition.library")).toBeDefined();
    expect(compileSimplePath('Patient.deceased.ofType(dateTime)')).toBeDefined();
    expect(compileSimplePath('Patient.deceased.ofType(Quantity)')).toBeUndefined();
    expect(compileSimplePath('Patient.name.ofType(HumanName)')).toBeUndefined();
    // The registry writes R4's `as` with ofType (see rewriteChoiceAs).
    expect(compileSimplePath('(Patient.deceased as dateTime)')).toBeUndefined();
    expect(compileSimplePath('Patient.deceased.exists() and Patient.deceased != false')).toBeUndefined();
    expect(compileSimplePath("Patient.telecom.where(period='x')")).toBeUndefined();
    expect(compileSimplePath("Patient.telecom.where(system='a\\'b')")).toBeUndefined();
    expect(compileSimplePath('Patient.name | Patient.telecom.exists()')).toBeUndefined();
    expect(compileSimplePath('Patient.unknownElement')).toBeUndefined();
    expect(compileSimplePath('Resource.meta.profile')).toBeDefined();
    expect(compileSimplePath('DomainResource.text')).toBeUndefined();
    expect(compileSimplePath("Task.for.where(reference.startsWith('Patient/') or reference.contains('/Patient/'))")).toBeDefined();
    expect(compileSimplePath("Task.owner.where(reference.startsWith('Patient/') or reference.contains('/Group/'))")).toBeUndefined();
    expect(compileSimplePath("Task.status.where(reference.startsWith('Patient/') or reference.contains('/Patient/'))")).toBeUndefined();
  });

  test('give the same index values as the FHIRPath engine', () => {
    const resources = [
      ...jsonFiles(path.join(ROOT, 'content')),
      ...jsonFiles(path.join(ROOT, 'test/fixtures/valid')),
      ...awkward,
    ];
    let n = 0;
    for (const r of generateResources(planLibrary({ total: 1500, seed: 'extract', patientShare: 0.8 }))) resources.push(r);
    for (const resource of resources) {
      expect([resource.resourceType, resource.id, fast.extract(resource)]).toEqual([resource.resourceType, resource.id, engine.extract(resource)]);
      n++;
    }
    expect(n).toBeGreaterThan(1500);
  });
});
