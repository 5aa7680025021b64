import type {
  FhirResource,
  Patient,
  Practitioner,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  Task,
} from 'fhir/r4';
import type { TestServer } from '../../support/test-server';

/** Resources and answers shared by the workflow suites (valid R4; the content of content/). */
export const BASE = 'https://patient-education.dev/fhir';
export const QUESTIONNAIRE_URL = `${BASE}/Questionnaire/foraminotomy-preop`;
export const WORKFLOW_TASK = `${BASE}/CodeSystem/workflow-task`;
export const PREOP_CONCERN = `${BASE}/CodeSystem/preop-concern`;
export const PREOP_ANSWER = `${BASE}/CodeSystem/preop-answer`;
export const GENDER = 'http://hl7.org/fhir/administrative-gender';
export const CPT = 'http://www.ama-assn.org/go/cpt';

export async function create<T>(server: TestServer, resource: FhirResource): Promise<T & { id: string }> {
  const r = await server.fetch(`/${resource.resourceType}`, {
    method: 'POST',
    body: JSON.stringify(resource),
  });
  if (r.status !== 201)
    throw new Error(`create ${resource.resourceType}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as T & { id: string };
}

export function patient(family: string, gender: 'female' | 'male' | 'other' | 'unknown'): Patient {
  return { resourceType: 'Patient', name: [{ family, given: ['Test'] }], gender, birthDate: '1968-04-02' };
}

export function coordinator(family: string): Practitioner {
  return { resourceType: 'Practitioner', name: [{ family, given: ['Care'], prefix: ['RN'] }] };
}

/** The SDC questionnaire-task assignment of the pre-op questionnaire to a patient. */
export function assignment(
  patientId: string,
  coordinatorId: string,
  start: string,
  due: string,
  basedOn?: string,
): Task {
  const task: Task = {
    resourceType: 'Task',
    meta: { profile: [`${BASE}/StructureDefinition/questionnaire-task`] },
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: WORKFLOW_TASK, code: 'complete-questionnaire' }] },
    description: 'Please answer the questions before your foraminotomy',
    focus: { reference: 'Questionnaire/foraminotomy-preop' },
    for: { reference: `Patient/${patientId}` },
    authoredOn: start,
    executionPeriod: { start, end: due },
    requester: { reference: `Practitioner/${coordinatorId}` },
    owner: { reference: `Patient/${patientId}` },
    input: [
      {
        type: { coding: [{ system: 'http://hl7.org/fhir/uv/sdc/CodeSystem/temp', code: 'questionnaire' }] },
        valueCanonical: QUESTIONNAIRE_URL,
      },
    ],
  };
  if (basedOn) task.basedOn = [{ reference: basedOn }];
  return task;
}

export interface Answers {
  sex: 'female' | 'male' | 'other' | 'unknown';
  /** Asked of everyone: true = yes, false = no (the default), or "does not apply to me". */
  pregnant?: boolean | 'not-applicable';
  medicines?: { name: string; kind?: string }[];
  alcohol?: boolean;
  bloodThinners?: string[];
  bloodThinnerDetails?: string;
  illnesses?: string[];
  diabetes?: boolean;
  heartDisease?: boolean;
  otherConditions?: string;
  smoking?: boolean;
  /** preop-answer code for the ride home and the home (default yes). */
  rideHome?: 'yes' | 'no' | 'not-needed-or-not-sure';
  homePrepared?: 'yes' | 'no' | 'not-needed-or-not-sure';
}

const bool = (linkId: string, value: boolean): QuestionnaireResponseItem => ({
  linkId,
  answer: [{ valueBoolean: value }],
});
const coded = (linkId: string, system: string, codes: string[]): QuestionnaireResponseItem => ({
  linkId,
  answer: codes.map((code) => ({ valueCoding: { system, code } })),
});

/** A complete set of answers, as a form filler would send them (only enabled items). */
export function answerItems(a: Answers): QuestionnaireResponseItem[] {
  const pregnant = a.pregnant === true ? 'yes' : a.pregnant === 'not-applicable' ? 'not-applicable' : 'no';
  const aboutYou: QuestionnaireResponseItem[] = [
    coded('sex', GENDER, [a.sex]),
    coded('pregnant', PREOP_ANSWER, [pregnant]),
  ];
  const meds: QuestionnaireResponseItem[] = [bool('takes-medicines', (a.medicines?.length ?? 0) > 0)];
  for (const m of a.medicines ?? []) {
    const entry: QuestionnaireResponseItem[] = [
      { linkId: 'medicine-name', answer: [{ valueString: m.name }] },
    ];
    if (m.kind) entry.push(coded('medicine-kind', PREOP_ANSWER, [m.kind]));
    meds.push({ linkId: 'medicines', item: entry });
  }
  meds.push(bool('alcohol', a.alcohol ?? false));
  meds.push(bool('takes-blood-thinners', (a.bloodThinners?.length ?? 0) > 0));
  if (a.bloodThinners?.length) meds.push(coded('blood-thinners', PREOP_ANSWER, a.bloodThinners));
  if (a.bloodThinnerDetails)
    meds.push({ linkId: 'blood-thinner-details', answer: [{ valueString: a.bloodThinnerDetails }] });
  const health: QuestionnaireResponseItem[] = [bool('recent-illness', (a.illnesses?.length ?? 0) > 0)];
  if (a.illnesses?.length) health.push(coded('illnesses', PREOP_ANSWER, a.illnesses));
  health.push(
    bool('diabetes', a.diabetes ?? false),
    bool('heart-disease', a.heartDisease ?? false),
    bool('other-conditions', a.otherConditions !== undefined),
  );
  if (a.otherConditions !== undefined)
    health.push({ linkId: 'other-conditions-details', answer: [{ valueString: a.otherConditions }] });
  health.push(bool('smoking', a.smoking ?? false));
  return [
    { linkId: 'about-you', item: aboutYou },
    { linkId: 'medicines-and-alcohol', item: meds },
    { linkId: 'health', item: health },
    {
      linkId: 'planning',
      item: [
        coded('ride-home', PREOP_ANSWER, [a.rideHome ?? 'yes']),
        coded('home-prepared', PREOP_ANSWER, [a.homePrepared ?? 'yes']),
      ],
    },
  ];
}

export function response(
  patientId: string,
  status: QuestionnaireResponse['status'],
  item: QuestionnaireResponseItem[],
  authored = '2026-03-02T09:30:00Z',
): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    meta: { profile: [`${BASE}/StructureDefinition/preop-questionnaireresponse`] },
    questionnaire: QUESTIONNAIRE_URL,
    status,
    subject: { reference: `Patient/${patientId}` },
    authored,
    author: { reference: `Patient/${patientId}` },
    item,
  };
}

/** Resources of a search page (matches only). */
export function matches<T = Record<string, unknown>>(bundle: {
  entry?: { resource: T; search?: { mode?: string } }[];
}): T[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource);
}
