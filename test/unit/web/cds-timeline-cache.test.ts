import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PlanDefinition, ServiceRequest } from 'fhir/r4';
import { composeCard } from '../../../src/web/cds-hooks/compose-card';
import { conditionInputs } from '../../../src/web/cds-hooks/condition-inputs';
import type { EducationMatch } from '../../../src/web/cds-hooks/education-lookup';
import type { HookRequest } from '../../../src/web/cds-hooks/hook-request';
import { TimelineCache } from '../../../src/web/cds-hooks/timeline-cache';

const foraminotomy = JSON.parse(readFileSync(path.join(__dirname, '../../../content/PlanDefinition-foraminotomy.json'), 'utf8')) as PlanDefinition;
const settings = { origin: 'https://edu.test', fhirBase: 'https://edu.test/fhir', smartAppUrl: undefined };
const now = new Date('2026-12-01T10:00:00Z');

function order(id: string, code: string, date: string): ServiceRequest {
  return { resourceType: 'ServiceRequest', id, status: 'draft', intent: 'order', subject: { reference: 'Patient/p' }, code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code }] }, occurrenceDateTime: date };
}

function request(patientId: string, gender?: 'male' | 'female'): HookRequest {
  return { hook: 'order-sign', hookInstance: 'h', userId: 'Practitioner/d', patientId, encounterId: undefined, selections: undefined, draftOrders: [], patient: gender ? { resourceType: 'Patient', gender } : undefined };
}

function detail(plan: PlanDefinition, o: ServiceRequest, r: HookRequest, cache: TimelineCache): string | undefined {
  const match: EducationMatch = { plan, order: o, questionnaires: new Map(), risks: [] };
  return composeCard(match, r, settings, now, () => 'u', cache).detail;
}

test('what conditions read: the context and %patient, %order elements, %response; unknown syntax reads everything', () => {
  const read = (e: string) => {
    const r = conditionInputs([e]);
    return { ...r, order: r.order === 'all' ? 'all' : [...r.order] };
  };
  expect(read("gender = 'female'")).toEqual({ patient: true, order: [], response: false, unknown: false });
  expect(read("%order.code.memberOf('https://x.test/vs')")).toEqual({ patient: false, order: ['code'], response: false, unknown: false });
  expect(read("%response.repeat(item).where(linkId = 'smoking').answer.exists()")).toEqual({ patient: false, order: [], response: true, unknown: false });
  expect(read('%order.exists()').order).toBe('all');
  expect(read('(%order | %patient).code')).toMatchObject({ patient: true, order: 'all' });
  expect(read('%patient.birthDate < %order.occurrence')).toMatchObject({ patient: true, order: ['occurrence'] });
  expect(read('where(').unknown).toBe(true);
  expect(read('%unheard.of').unknown).toBe(true);
});

test('a kept timeline is the one applying the plan gives, for every order, patient and date', () => {
  const cache = new TimelineCache();
  const cases: [ServiceRequest, HookRequest][] = [
    [order('a', '63047', '2027-02-03'), request('p1')],
    [order('b', '63047', '2027-02-03'), request('p2', 'female')],
    [order('c', '63047', '2027-03-10'), request('p1')],
    [order('d', '63045', '2027-02-03'), request('p3')],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [o, r] of cases) expect(detail(foraminotomy, o, r, cache)).toBe(detail(foraminotomy, o, r, new TimelineCache()));
  }
});

test('a plan whose condition reads the patient keeps one timeline per patient as the condition sees it', () => {
  const plan: PlanDefinition = {
    resourceType: 'PlanDefinition',
    id: 'p',
    status: 'active',
    meta: { versionId: '1' },
    action: [
      {
        title: 'Before surgery',
        timingRange: { low: { value: -7, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' }, high: { value: -1, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } },
        action: [
          { title: 'For everyone', timingRange: { low: { value: -7, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' }, high: { value: -1, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } } },
          {
            title: 'Only for women',
            condition: [{ kind: 'applicability', expression: { language: 'text/fhirpath', expression: "gender = 'female'" } }],
            timingRange: { low: { value: -7, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' }, high: { value: -1, unit: 'd', system: 'http://unitsofmeasure.org', code: 'd' } },
          },
        ],
      },
    ],
  };
  const cache = new TimelineCache();
  const o = order('a', '1', '2027-02-03');
  expect(detail(plan, o, request('x', 'male'), cache)).not.toContain('Only for women');
  expect(detail(plan, o, request('x', 'female'), cache)).toContain('Only for women');
  expect(detail(plan, o, request('x', 'male'), cache)).not.toContain('Only for women');
});
