import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CarePlan, Patient, PlanDefinition, Questionnaire, ServiceRequest, ValueSet } from 'fhir/r4';
import { Terminology } from '../../../src/fhir/validation/terminology';
import { applyPlanDefinition, type ApplyContext } from '../../../src/workflows/apply-plan';
import { answerItems, QUESTIONNAIRE_URL, response } from '../../integration/workflows/fixtures';
import { foraminotomyPlan, preopQuestionnaire, validationErrors } from './fixtures';

const patient: Patient = {
  resourceType: 'Patient',
  id: 'p1',
  name: [{ given: ['Ana'], family: 'Ruiz' }],
  gender: 'female',
};
const order: ServiceRequest = {
  resourceType: 'ServiceRequest',
  id: 'sr1',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '63045' }] },
};

const CERVICAL = 'https://patient-education.dev/fhir/ValueSet/foraminotomy-cervical-procedure';
const cervicalValueSet = JSON.parse(
  readFileSync(join(__dirname, '../../../profiles/ValueSet-foraminotomy-cervical-procedure.json'), 'utf8'),
) as ValueSet;
const valueSets = new Map([[CERVICAL, new Terminology([cervicalValueSet]).expand(CERVICAL)!]]);

function context(overrides: Partial<ApplyContext> = {}): ApplyContext {
  return {
    plan: foraminotomyPlan(),
    patient,
    order,
    response: {
      ...response('p1', 'completed', answerItems({ sex: 'female', pregnant: false, smoking: true })),
      id: 'qr1',
    },
    dayZero: '2026-03-16',
    valueSets,
    practitioner: { reference: 'Practitioner/c1' },
    questionnaires: new Map<string, Questionnaire>([
      [QUESTIONNAIRE_URL, { ...preopQuestionnaire(), id: 'foraminotomy-preop' }],
    ]),
    documents: new Map([
      [
        'https://patient-education.dev/fhir/DocumentReference/foraminotomy-preparation',
        { reference: 'DocumentReference/prep', url: 'http://localhost:8080/fhir/DocumentReference/prep' },
      ],
    ]),
    now: '2026-03-01T12:00:00Z',
    ...overrides,
  };
}

const ids = (carePlan: CarePlan): string[] => {
  const group = carePlan.contained!.find((r) => r.resourceType === 'RequestGroup') as {
    action?: { id?: string; action?: unknown[] }[];
  };
  const out: string[] = [];
  const visit = (actions: { id?: string; action?: unknown[] }[]) => {
    for (const a of actions) {
      out.push(a.id!);
      visit((a.action ?? []) as { id?: string; action?: unknown[] }[]);
    }
  };
  visit(group.action ?? []);
  return out;
};

test('the CarePlan of $apply is valid R4 (contained RequestGroup with a resource for every leaf: rqg-1; dom-3 references)', () => {
  const { carePlan, problems } = applyPlanDefinition(context());
  expect(problems).toEqual([]);
  expect(validationErrors(carePlan)).toEqual([]);
});

test('the documentation of a known document points at this server and is listed once in supportingInfo', () => {
  const { carePlan } = applyPlanDefinition(context());
  const docs = carePlan.supportingInfo!.filter((s) => s.reference?.startsWith('DocumentReference/'));
  expect(docs).toEqual([
    {
      reference: 'DocumentReference/prep',
      identifier: {
        system: 'urn:ietf:rfc:3986',
        value: 'https://patient-education.dev/fhir/DocumentReference/foraminotomy-preparation',
      },
      display: 'Foraminotomy - Before the surgery',
    },
  ]);
  const text = JSON.stringify(carePlan.contained);
  expect(text).toContain('http://localhost:8080/fhir/DocumentReference/prep');
  // Documents this server does not hold keep the plan's url.
  expect(text).toContain('https://patient-education.dev/fhir/DocumentReference/foraminotomy-recovery');
});

test('a group whose every sub-action is left out is dropped', () => {
  const plan: PlanDefinition = {
    resourceType: 'PlanDefinition',
    status: 'active',
    url: 'http://example.org/PlanDefinition/p',
    action: [
      {
        id: 'kept',
        title: 'Always',
        timingDuration: { value: 0, code: 'd', system: 'http://unitsofmeasure.org' },
      },
      {
        id: 'empty',
        title: 'Group',
        action: [
          {
            id: 'never',
            title: 'Never',
            condition: [
              { kind: 'applicability', expression: { language: 'text/fhirpath', expression: 'false' } },
            ],
          },
        ],
      },
    ],
  };
  const { carePlan, problems } = applyPlanDefinition(context({ plan }));
  expect(problems).toEqual([]);
  expect(ids(carePlan)).toEqual(['kept']);
  expect(validationErrors(carePlan)).toEqual([]);
});

test('a condition in another language, or one that fails, is a problem at its location', () => {
  const plan: PlanDefinition = {
    resourceType: 'PlanDefinition',
    status: 'active',
    action: [
      {
        id: 'cql',
        title: 'CQL',
        condition: [{ kind: 'applicability', expression: { language: 'text/cql', expression: 'true' } }],
      },
      {
        id: 'bad',
        title: 'Bad',
        condition: [
          {
            kind: 'applicability',
            expression: { language: 'text/fhirpath', expression: '%unknown.exists()' },
          },
        ],
      },
      {
        id: 'many',
        title: 'Many',
        condition: [
          { kind: 'applicability', expression: { language: 'text/fhirpath', expression: '1 | 2' } },
        ],
      },
    ],
  };
  const { problems } = applyPlanDefinition(context({ plan }));
  expect(problems.map((p) => `${p.code} ${p.expression?.[0]}`)).toEqual([
    'not-supported PlanDefinition.action[0].condition[0].expression',
    'processing PlanDefinition.action[1].condition[0].expression',
    'processing PlanDefinition.action[2].condition[0].expression',
  ]);
});

test('conditions see %patient too, and all applicability conditions must hold', () => {
  const plan: PlanDefinition = {
    resourceType: 'PlanDefinition',
    status: 'active',
    action: [
      {
        id: 'women',
        title: 'W',
        condition: [
          {
            kind: 'applicability',
            expression: { language: 'text/fhirpath', expression: "%patient.gender = 'female'" },
          },
        ],
      },
      {
        id: 'both',
        title: 'B',
        condition: [
          { kind: 'applicability', expression: { language: 'text/fhirpath', expression: 'true' } },
          {
            kind: 'applicability',
            expression: { language: 'text/fhirpath', expression: '%order.exists().not()' },
          },
        ],
      },
    ],
  };
  expect(ids(applyPlanDefinition(context({ plan })).carePlan)).toEqual(['women']);
  expect(
    ids(
      applyPlanDefinition(context({ plan, order: undefined, patient: { ...patient, gender: 'male' } }))
        .carePlan,
    ),
  ).toEqual(['both']);
});

test('memberOf(url) in a condition is answered from the ValueSet expansions of the context', () => {
  const plan: PlanDefinition = {
    resourceType: 'PlanDefinition',
    status: 'active',
    action: [
      {
        id: 'neck',
        title: 'Neck',
        condition: [
          { kind: 'applicability', expression: { language: 'text/fhirpath', expression: `%order.code.memberOf('${CERVICAL}')` } },
        ],
      },
    ],
  };
  const coded = (system: string, code: string): ServiceRequest => ({ ...order, code: { coding: [{ system, code }] } });
  const cpt = 'http://www.ama-assn.org/go/cpt';
  expect(ids(applyPlanDefinition(context({ plan, order: coded(cpt, '63020') })).carePlan)).toEqual(['neck']);
  expect(ids(applyPlanDefinition(context({ plan, order: coded('http://www.cms.gov/Medicare/Coding/ICD10', '01N14ZZ') })).carePlan)).toEqual(['neck']);
  expect(ids(applyPlanDefinition(context({ plan, order: coded(cpt, '63030') })).carePlan)).toEqual([]);
  // The same code in another system is not a member.
  expect(ids(applyPlanDefinition(context({ plan, order: coded('http://snomed.info/sct', '63020') })).carePlan)).toEqual([]);
  expect(ids(applyPlanDefinition(context({ plan, order: undefined })).carePlan)).toEqual([]);
  const unknown = applyPlanDefinition(context({ plan, valueSets: new Map() }));
  expect(unknown.problems.map((p) => p.diagnostics)).toEqual([expect.stringContaining(`the ValueSet ${CERVICAL} is not known`)]);
});
