import { join } from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4';
import { createValidator, hasErrors, loadConformanceResources } from '../../../src/fhir/validation';
import { PROFILES_DIR, VALID_DIR, readJsonFile, sharedValidator } from './fixtures';

const TASK_PROFILE = 'https://patient-education.dev/fhir/StructureDefinition/questionnaire-task';
const example = <T = Record<string, unknown>>(file: string): T => readJsonFile<T>(join(VALID_DIR, file));
const errors = (issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] =>
  issues.filter((i) => i.severity === 'error');
const at = (issues: OperationOutcomeIssue[], expression: string): OperationOutcomeIssue[] =>
  issues.filter((i) => i.expression?.[0] === expression);

describe('which profiles a resource is checked against', () => {
  it('checks the three education types against our profile even when they do not claim it', () => {
    const plan = example('PlanDefinition-education-example.json');
    delete plan.meta;
    delete plan.title;
    const issues = sharedValidator().validate(plan);
    expect(at(issues, 'PlanDefinition.title')).toEqual([
      expect.objectContaining({ severity: 'error', code: 'required' }),
    ]);
  });

  it('checks other types against a profile only when it is claimed or asked for', () => {
    const task = example('Task-questionnaire-task-example.json');
    delete task.meta;
    delete task.owner;
    expect(errors(sharedValidator().validate(task))).toEqual([]);
    expect(at(sharedValidator().validate(task, { profiles: [TASK_PROFILE] }), 'Task.owner')).toEqual([
      expect.objectContaining({ severity: 'error', code: 'required' }),
    ]);
  });

  it('warns about a claimed profile it does not know, and refuses one asked for explicitly', () => {
    const patient = example('Patient-example.json');
    patient.meta = { profile: ['http://example.org/fhir/StructureDefinition/unknown-patient'] };
    const claimed = sharedValidator().validate(patient);
    expect(claimed).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'not-supported',
        expression: ['Patient.meta.profile[0]'],
      }),
    ]);
    expect(hasErrors(claimed)).toBe(false);
    delete patient.meta;
    const asked = sharedValidator().validate(patient, {
      profiles: ['http://example.org/fhir/StructureDefinition/unknown-patient'],
    });
    expect(asked).toEqual([expect.objectContaining({ severity: 'error', code: 'not-supported' })]);
  });

  it('checks core R4 profiles that a resource claims (shareablecodesystem)', () => {
    const codeSystem = readJsonFile<Record<string, unknown>>(
      join(PROFILES_DIR, 'CodeSystem-care-phase.json'),
    );
    codeSystem.meta = { profile: ['http://hl7.org/fhir/StructureDefinition/shareablecodesystem'] };
    expect(errors(sharedValidator().validate(codeSystem))).toEqual([]);
    delete codeSystem.version;
    expect(at(sharedValidator().validate(codeSystem), 'CodeSystem.version')).toEqual([
      expect.objectContaining({ severity: 'error', code: 'required' }),
    ]);
  });

  it('can be built without enforced profiles, for base-only validation', () => {
    const validator = createValidator(loadConformanceResources(PROFILES_DIR), { enforcedProfiles: {} });
    const plan = example('PlanDefinition-education-example.json');
    delete plan.meta;
    delete plan.title;
    expect(errors(validator.validate(plan))).toEqual([]);
  });

  it('lists our resource profiles by type, for the CapabilityStatement', () => {
    expect(sharedValidator().resourceProfiles).toEqual(
      expect.arrayContaining([
        {
          url: 'https://patient-education.dev/fhir/StructureDefinition/education-plandefinition',
          type: 'PlanDefinition',
        },
        { url: TASK_PROFILE, type: 'Task' },
      ]),
    );
    expect(sharedValidator().resourceProfiles.map((p) => p.type)).not.toContain('Extension');
  });

  it('lists the profiles and extensions it checks', () => {
    expect(sharedValidator().profileUrls).toEqual(
      expect.arrayContaining([
        TASK_PROFILE,
        'https://patient-education.dev/fhir/StructureDefinition/follow-up-rule',
      ]),
    );
  });
});

describe('what is not a resource', () => {
  it.each([
    ['a string', 'Patient', 'invalid'],
    ['an array', [], 'invalid'],
    ['an object without resourceType', { id: 'x' }, 'required'],
    ['an unknown resource type', { resourceType: 'Patient2' }, 'invalid'],
    ['an abstract type', { resourceType: 'DomainResource' }, 'invalid'],
  ])('%s is refused with one issue', (_what, value, code) => {
    const issues = sharedValidator().validate(value);
    expect(issues).toEqual([expect.objectContaining({ severity: 'error', code })]);
  });
});

describe('server-assigned and special elements', () => {
  it('accepts meta.versionId, meta.lastUpdated and a narrative', () => {
    const patient = example('Patient-example.json');
    expect(patient.meta).toEqual(
      expect.objectContaining({ versionId: '3', lastUpdated: expect.any(String) }),
    );
    expect(errors(sharedValidator().validate(patient))).toEqual([]);
  });

  it('accepts a resource with no id (a create)', () => {
    const patient = example('Patient-example.json');
    delete patient.id;
    expect(errors(sharedValidator().validate(patient))).toEqual([]);
  });

  it('reports every problem, each at its own location', () => {
    const patient = example('Patient-example.json');
    patient.gender = 'tomato';
    patient.birthDate = 'yesterday';
    patient.nickname = 'Al';
    const issues = errors(sharedValidator().validate(patient));
    expect(issues.map((i) => i.expression?.[0]).sort()).toEqual([
      'Patient.birthDate',
      'Patient.gender',
      'Patient.nickname',
    ]);
    for (const issue of issues) expect(issue.diagnostics).toEqual(expect.any(String));
  });

  it('names the element of a choice by its JSON name', () => {
    const observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'weight' },
      valueQuantity: { value: 70, comparator: 'about' },
    };
    expect(errors(sharedValidator().validate(observation))).toEqual([
      expect.objectContaining({ code: 'code-invalid', expression: ['Observation.valueQuantity.comparator'] }),
    ]);
  });

  it('skips a required binding whose value set cannot be expanded here (BCP-13 media types)', () => {
    const document = example('DocumentReference-education-example.json');
    (document.content as Array<{ attachment: Record<string, unknown> }>)[0].attachment.contentType =
      'application/x-made-up';
    expect(errors(sharedValidator().validate(document))).toEqual([]);
  });

  it('checks our extensions inside contained resources', () => {
    const questionnaire = example('Questionnaire-preop-example.json');
    const rule = (questionnaire.extension as Array<{ extension: Array<Record<string, unknown>> }>)[0];
    rule.extension[0].valueCoding = {
      system: 'https://patient-education.dev/fhir/CodeSystem/preop-concern',
      code: 'weather',
    };
    delete questionnaire.id;
    const plan = example('PlanDefinition-education-example.json');
    plan.contained = [{ ...questionnaire, id: 'q' }];
    (plan.action as Array<Record<string, unknown>>)[0].definitionCanonical = '#q';
    const issues = errors(sharedValidator().validate(plan));
    expect(at(issues, 'PlanDefinition.contained[0].extension[0].extension[0].valueCoding')).toEqual([
      expect.objectContaining({ code: 'code-invalid' }),
    ]);
  });
});
