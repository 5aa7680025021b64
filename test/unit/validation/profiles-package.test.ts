import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CodeSystem,
  ConceptMap,
  ElementDefinition,
  Resource,
  SearchParameter,
  StructureDefinition,
  ValueSet,
} from 'fhir/r4';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { buildSnapshot, loadBaseDefinitions } from '../../../src/content/build-snapshots';
import { createValidator, loadConformanceResources } from '../../../src/fhir/validation';
import { Terminology } from '../../../src/fhir/validation/terminology';
import { PROFILES_DIR, VALID_DIR, contentResources, readJsonFile } from './fixtures';

const CANONICAL = 'https://patient-education.dev/fhir';
const resources = loadConformanceResources(PROFILES_DIR);
const byType = <T extends Resource>(type: T['resourceType']): T[] =>
  resources.filter((r): r is T => r.resourceType === type);
const structureDefinitions = byType<StructureDefinition>('StructureDefinition');
const baseDefinitions = loadBaseDefinitions();

describe('profiles/ is a FHIR package', () => {
  it('has a FHIR package manifest for R4 with our canonical base', () => {
    const manifest = readJsonFile<Record<string, unknown>>(join(PROFILES_DIR, 'package.json'));
    expect(manifest).toMatchObject({
      name: 'patient-education.fhir',
      version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
      fhirVersions: ['4.0.1'],
      canonical: CANONICAL,
      dependencies: { 'hl7.fhir.r4.core': '4.0.1' },
    });
  });

  it('holds one resource per file, named <ResourceType>-<id>.json, at its canonical URL', () => {
    const files = readdirSync(PROFILES_DIR).filter((f) => f.endsWith('.json') && f !== 'package.json');
    expect(files).toHaveLength(resources.length);
    for (const file of files) {
      const resource = readJsonFile<Resource & { url?: string }>(join(PROFILES_DIR, file));
      expect(file).toBe(`${resource.resourceType}-${resource.id}.json`);
      expect(resource.url).toBe(`${CANONICAL}/${resource.resourceType}/${resource.id}`);
    }
  });

  it('holds the profiles, extensions, search parameter, code systems, value sets and concept map of issue 4', () => {
    const ids = resources.map((r) => `${r.resourceType}/${r.id}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        'StructureDefinition/education-plandefinition',
        'StructureDefinition/education-documentreference',
        'StructureDefinition/preop-questionnaire',
        'StructureDefinition/questionnaire-task',
        'StructureDefinition/preop-questionnaireresponse',
        'StructureDefinition/follow-up-rule',
        'SearchParameter/procedure',
        'ConceptMap/foraminotomy-procedure-codes',
        'ValueSet/foraminotomy-procedure',
        'ValueSet/procedure-risk',
        ...['education-section', 'document-category', 'preop-concern', 'care-phase', 'workflow-task'].flatMap(
          (name) => [`CodeSystem/${name}`, `ValueSet/${name}`],
        ),
      ]),
    );
  });
});

describe('every conformance resource validates against the base R4 specification', () => {
  const validator = createValidator(resources);
  it.each(resources.map((r) => [`${r.resourceType}/${r.id}`, r] as const))('%s', (_name, resource) => {
    expect(validator.validate(resource).filter((i) => i.severity === 'error')).toEqual([]);
  });
});

describe('every profile is a valid constraint on its base', () => {
  const lookup = (url: string): StructureDefinition | undefined => baseDefinitions.get(url);

  it.each(structureDefinitions.map((sd) => [sd.id, sd] as const))('%s', (_id, sd) => {
    expect(sd.derivation).toBe('constraint');
    const base = baseDefinitions.get(sd.baseDefinition ?? '');
    expect(base?.type).toBe(sd.type);
    expect(sd.differential?.element.length).toBeGreaterThan(0);

    // The snapshot in the file is the one the generator produces from the differential today.
    expect(sd.snapshot?.element).toEqual(buildSnapshot({ ...sd, snapshot: undefined }, lookup));

    const baseById = new Map((base?.snapshot?.element ?? []).map((e) => [e.id, e]));
    const snapshotIds = new Set(sd.snapshot?.element.map((e) => e.id));
    for (const diff of sd.differential?.element ?? []) expect(snapshotIds).toContain(diff.id);
    for (const element of sd.snapshot?.element ?? []) {
      expect(element.definition).toEqual(expect.any(String));
      // Never wider than what the element is based on.
      const original: ElementDefinition | undefined = baseById.get(element.id);
      const min = original?.min ?? element.base?.min ?? 0;
      const max = original?.max ?? element.base?.max ?? '*';
      if (!element.sliceName) expect(element.min ?? 0).toBeGreaterThanOrEqual(min);
      if (max !== '*')
        expect(element.max === '*' ? Infinity : Number(element.max)).toBeLessThanOrEqual(Number(max));
      if (original?.type && element.type) {
        const allowed = original.type.map((t) => t.code);
        for (const type of element.type) expect(allowed).toContain(type.code);
      }
    }
  });

  it('every extension definition says where it may be used', () => {
    for (const sd of structureDefinitions.filter((s) => s.type === 'Extension')) {
      expect(sd.context?.length).toBeGreaterThan(0);
    }
  });
});

describe('terminology of the package', () => {
  const contentTerminology = contentResources()
    .map((c) => c.resource)
    .filter(
      (r): r is CodeSystem | ValueSet => r.resourceType === 'CodeSystem' || r.resourceType === 'ValueSet',
    );
  const terminology = new Terminology([
    ...byType<ValueSet>('ValueSet'),
    ...byType<CodeSystem>('CodeSystem'),
    ...contentTerminology,
  ]);

  it('has a ValueSet with all codes for each of our CodeSystems', () => {
    for (const codeSystem of byType<CodeSystem>('CodeSystem')) {
      const expansion = terminology.expand(codeSystem.valueSet ?? '');
      expect(expansion).toBeDefined();
      for (const concept of codeSystem.concept ?? [])
        expect(expansion?.contains(codeSystem.url, concept.code)).toBe(true);
      expect(codeSystem.count).toBe(codeSystem.concept?.length);
    }
  });

  it('binds the profiles only to value sets of this package (or of the R4 core)', () => {
    const ours = new Set(byType<ValueSet>('ValueSet').map((v) => v.url));
    for (const sd of structureDefinitions) {
      for (const element of sd.differential?.element ?? []) {
        const valueSet = element.binding?.valueSet;
        if (valueSet?.startsWith(CANONICAL)) expect(ours).toContain(valueSet);
      }
    }
  });

  it('the concept map only maps codes of the foraminotomy-procedure value set', () => {
    const procedures = terminology.expand(`${CANONICAL}/ValueSet/foraminotomy-procedure`);
    const conceptMap = byType<ConceptMap>('ConceptMap').find((m) => m.id === 'foraminotomy-procedure-codes')!;
    for (const group of conceptMap.group ?? []) {
      for (const element of group.element ?? []) {
        expect(procedures?.contains(group.source, element.code ?? '')).toBe(true);
        for (const target of element.target ?? []) {
          if (target.code) expect(procedures?.contains(group.target, target.code)).toBe(true);
        }
      }
    }
  });

  it('the content library uses procedure codes from the foraminotomy-procedure value set', () => {
    const procedures = terminology.expand(`${CANONICAL}/ValueSet/foraminotomy-procedure`);
    const [parameter] = byType<SearchParameter>('SearchParameter');
    for (const { resource } of contentResources()) {
      if (!parameter.base.includes(resource.resourceType as (typeof parameter.base)[number])) continue;
      const concepts = fhirpath.evaluate(resource, parameter.expression ?? '', {}, r4Model) as Array<{
        coding?: Array<{ system: string; code: string }>;
      }>;
      for (const coding of concepts.flatMap((c) => c.coding ?? []))
        expect(procedures?.contains(coding.system, coding.code)).toBe(true);
    }
  });
});

describe('the alternative-name SearchParameter', () => {
  const [parameter] = byType<SearchParameter>('SearchParameter').filter((p) => p.code === 'alternative-name');

  it('extracts the alternative names of a PlanDefinition as strings', () => {
    expect(parameter).toMatchObject({ type: 'string', base: ['PlanDefinition'] });
    const plan = readJsonFile(join(VALID_DIR, 'PlanDefinition-education-example.json'));
    expect(fhirpath.evaluate(plan, parameter.expression ?? '', {}, r4Model)).toEqual([
      'Keyhole spine surgery',
    ]);
  });
});

describe('the procedure SearchParameter', () => {
  const [parameter] = byType<SearchParameter>('SearchParameter').filter((p) => p.code === 'procedure');
  const codesOf = (resource: unknown): string[] =>
    (
      fhirpath.evaluate(resource, parameter.expression ?? '', {}, r4Model) as Array<{
        coding?: Array<{ system: string; code: string }>;
      }>
    )
      .flatMap((concept) => concept.coding ?? [])
      .map((coding) => `${coding.system}|${coding.code}`);

  it('is a token parameter named procedure on the three education types', () => {
    expect(parameter).toMatchObject({
      code: 'procedure',
      type: 'token',
      url: `${CANONICAL}/SearchParameter/procedure`,
    });
    expect([...parameter.base].sort()).toEqual(['DocumentReference', 'PlanDefinition', 'Questionnaire']);
  });

  it.each([
    [
      'PlanDefinition-education-example.json',
      ['http://www.ama-assn.org/go/cpt|63047', 'http://www.cms.gov/Medicare/Coding/ICD10|01NB0ZZ'],
    ],
    [
      'DocumentReference-education-example.json',
      ['http://www.ama-assn.org/go/cpt|63047', 'http://www.cms.gov/Medicare/Coding/ICD10|01NB0ZZ'],
    ],
    ['Questionnaire-preop-example.json', ['http://www.ama-assn.org/go/cpt|63047']],
  ])('extracts the procedure codes of %s (fhirpath + R4 model)', (file, expected) => {
    expect(codesOf(readJsonFile(join(VALID_DIR, file)))).toEqual(expected);
  });

  it('ignores use contexts other than focus', () => {
    const plan = readJsonFile<Record<string, unknown>>(
      join(VALID_DIR, 'PlanDefinition-education-example.json'),
    );
    plan.useContext = [
      {
        code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'age' },
        valueCodeableConcept: { coding: [{ system: 'x', code: 'y' }] },
      },
    ];
    expect(codesOf(plan)).toEqual([]);
  });
});
