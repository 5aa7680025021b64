import type { CarePlan, RequestGroup, RequestGroupAction, ServiceRequest, Task } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import { answerItems, coordinator, create, CPT, patient, QUESTIONNAIRE_URL, response } from './fixtures';

/**
 * Issue 6: PlanDefinition/$apply turns the foraminotomy plan into a dated, personal CarePlan.
 * Two patients get different action lists (conditions on %response and %order), and every date
 * is checked against a hand-computed calendar.
 */
let server: TestServer;
let smokerId: string;
let plainId: string;
let coordinatorId: string;
let neckOrderId: string;
let lumbarOrderId: string;

const PLAN_URL = 'https://patient-education.dev/fhir/PlanDefinition/foraminotomy';

function serviceRequest(
  patientId: string,
  code: string,
  display: string,
  occurrenceDateTime: string,
): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: CPT, code, display }] },
    subject: { reference: `Patient/${patientId}` },
    occurrenceDateTime,
  };
}

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  coordinatorId = (await create(server, coordinator('Haddad'))).id;
  smokerId = (await create(server, patient('Smoker', 'female'))).id;
  plainId = (await create(server, patient('Plain', 'male'))).id;
  neckOrderId = (
    await create(
      server,
      serviceRequest(smokerId, '63045', 'Laminectomy, facetectomy and foraminotomy; cervical', '2026-03-16'),
    )
  ).id;
  lumbarOrderId = (
    await create(
      server,
      serviceRequest(
        plainId,
        '63047',
        'Laminectomy, facetectomy and foraminotomy; lumbar',
        '2026-04-02T08:30:00-05:00',
      ),
    )
  ).id;
  // An older completed response saying the smoker does not smoke: the latest one counts.
  await create(
    server,
    response(smokerId, 'completed', answerItems({ sex: 'female', pregnant: false }), '2026-01-05T10:00:00Z'),
  );
  await create(
    server,
    response(
      smokerId,
      'completed',
      answerItems({ sex: 'female', pregnant: false, smoking: true, bloodThinners: ['aspirin', 'ibuprofen'] }),
    ),
  );
  await create(server, response(plainId, 'completed', answerItems({ sex: 'male' })));
});
afterAll(async () => {
  await server.close();
});

/** Every action of the RequestGroup, depth first, as id -> timing. */
function schedule(carePlan: CarePlan): Record<string, string | { start?: string; end?: string }> {
  const group = carePlan.contained!.find((r) => r.resourceType === 'RequestGroup') as RequestGroup;
  const out: Record<string, string | { start?: string; end?: string }> = {};
  const visit = (actions: RequestGroupAction[]) => {
    for (const a of actions) {
      out[a.id!] = a.timingDateTime ?? {
        ...(a.timingPeriod?.start ? { start: a.timingPeriod.start } : {}),
        ...(a.timingPeriod?.end ? { end: a.timingPeriod.end } : {}),
      };
      visit(a.action ?? []);
    }
  };
  visit(group.action ?? []);
  return out;
}

async function counts() {
  const count = async (type: string) => (await server.fetch(`/${type}?_summary=count`)).body.total as number;
  return {
    carePlans: await count('CarePlan'),
    requestGroups: await count('RequestGroup'),
    tasks: await count('Task'),
  };
}

describe('a smoker on blood thinners having neck surgery (CPT 63045) on 2026-03-16', () => {
  let carePlan: CarePlan;

  beforeAll(async () => {
    const before = await counts();
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${smokerId}&order=ServiceRequest/${neckOrderId}&practitioner=Practitioner/${coordinatorId}`,
    );
    expect(r.status).toBe(200);
    carePlan = r.body;
    expect(await counts()).toEqual(before);
  });

  test('the schedule holds the smoking, blood-thinner and neck-collar steps with hand-computed dates', () => {
    expect(schedule(carePlan)).toEqual({
      before: { end: '2026-03-15' },
      'before-imaging': { end: '2026-03-15' },
      'before-nerve-injection': { end: '2026-03-15' },
      'before-tell-surgeon': { end: '2026-03-15' },
      'before-smoking': { end: '2026-03-15' },
      'before-prepare-home': { end: '2026-03-15' },
      'before-arrange-ride': { end: '2026-03-15' },
      'week-before': { start: '2026-03-09', end: '2026-03-15' },
      'week-before-stop-blood-thinners': { start: '2026-03-09', end: '2026-03-15' },
      'week-before-ask-medicines': { start: '2026-03-09', end: '2026-03-15' },
      'week-before-report-illness': { start: '2026-03-09', end: '2026-03-15' },
      'day-of-surgery': '2026-03-16',
      'day-of-surgery-stop-eating': { end: '2026-03-16' },
      'day-of-surgery-medicines': '2026-03-16',
      'day-of-surgery-arrive': '2026-03-16',
      after: { start: '2026-03-16', end: '2026-04-13' },
      'after-soft-neck-collar': '2026-03-16',
      'after-sit-up': { start: '2026-03-16', end: '2026-03-16' },
      'after-go-home': '2026-03-17',
      'after-wound-care': { start: '2026-03-17' },
      'after-driving': { start: '2026-03-23', end: '2026-03-30' },
      'after-light-work': '2026-04-13',
    });
  });

  test('the CarePlan instantiates the plan for the patient, spans the schedule and is not stored', () => {
    expect(carePlan).toMatchObject({
      resourceType: 'CarePlan',
      status: 'draft',
      intent: 'plan',
      instantiatesCanonical: [`${PLAN_URL}|2.0.0`],
      subject: { reference: `Patient/${smokerId}` },
      author: { reference: `Practitioner/${coordinatorId}` },
      period: { start: '2026-03-09', end: '2026-04-13' },
      activity: [{ reference: { reference: '#request-group' } }],
    });
    expect(carePlan.id).toBeUndefined();
    const group = carePlan.contained!.find((r) => r.resourceType === 'RequestGroup') as RequestGroup;
    expect(group).toMatchObject({
      id: 'request-group',
      status: 'draft',
      intent: 'plan',
      basedOn: [{ reference: `ServiceRequest/${neckOrderId}` }],
    });
  });

  test('the pre-op questionnaire step is an SDC questionnaire Task due the day before surgery', () => {
    const group = carePlan.contained!.find((r) => r.resourceType === 'RequestGroup') as RequestGroup;
    const step = group.action![0].action!.find((a) => a.id === 'before-tell-surgeon')!;
    const task = carePlan.contained!.find((r) => `#${r.id}` === step.resource?.reference) as Task;
    expect(task).toMatchObject({
      resourceType: 'Task',
      status: 'draft',
      intent: 'order',
      code: { coding: [{ code: 'complete-questionnaire' }] },
      focus: { reference: 'Questionnaire/foraminotomy-preop' },
      for: { reference: `Patient/${smokerId}` },
      owner: { reference: `Patient/${smokerId}` },
      requester: { reference: `Practitioner/${coordinatorId}` },
      executionPeriod: { end: '2026-03-15' },
      basedOn: [{ reference: `ServiceRequest/${neckOrderId}` }],
      input: [{ valueCanonical: QUESTIONNAIRE_URL }],
    });
  });

  test('every leaf step has a dated Task; steps about a concern carry it as reason', () => {
    const tasks = carePlan.contained!.filter((r) => r.resourceType === 'Task') as Task[];
    expect(tasks).toHaveLength(18);
    const stop = tasks.find((t) => t.id === 'step-week-before-stop-blood-thinners')!;
    expect(stop).toMatchObject({
      status: 'draft',
      intent: 'plan',
      owner: { reference: `Patient/${smokerId}` },
      executionPeriod: { start: '2026-03-09', end: '2026-03-15' },
    });
    expect(stop.reasonCode?.coding?.[0].code).toBe('blood-thinners');
  });

  test('the education documents are linked on this server', () => {
    const docs = (carePlan.supportingInfo ?? []).map((s) => s.reference);
    expect(docs).toEqual(
      expect.arrayContaining([
        `ServiceRequest/${neckOrderId}`,
        'DocumentReference/foraminotomy-preparation',
        'DocumentReference/foraminotomy-day-of-surgery',
        'DocumentReference/foraminotomy-recovery',
      ]),
    );
    const group = carePlan.contained!.find((r) => r.resourceType === 'RequestGroup') as RequestGroup;
    expect(group.action![0].documentation![0].url).toMatch(/\/DocumentReference\/foraminotomy-preparation$/);
  });
});

describe('a patient with none of those, lumbar surgery (CPT 63047) at 2026-04-02T08:30-05:00', () => {
  test('the conditional steps are left out and the times keep the hour and zone', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'subject', valueString: `Patient/${plainId}` },
        { name: 'order', valueReference: { reference: `ServiceRequest/${lumbarOrderId}` } },
      ],
    };
    const r = await server.fetch('/PlanDefinition/foraminotomy/$apply', {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(200);
    const t = (day: string, time = '08:30:00') => `${day}T${time}-05:00`;
    expect(schedule(r.body)).toEqual({
      before: { end: t('2026-04-01') },
      'before-imaging': { end: t('2026-04-01') },
      'before-nerve-injection': { end: t('2026-04-01') },
      'before-tell-surgeon': { end: t('2026-04-01') },
      'before-prepare-home': { end: t('2026-04-01') },
      'before-arrange-ride': { end: t('2026-04-01') },
      'week-before': { start: t('2026-03-26'), end: t('2026-04-01') },
      'week-before-ask-medicines': { start: t('2026-03-26'), end: t('2026-04-01') },
      'week-before-report-illness': { start: t('2026-03-26'), end: t('2026-04-01') },
      'day-of-surgery': t('2026-04-02'),
      'day-of-surgery-stop-eating': { end: t('2026-04-02') },
      'day-of-surgery-medicines': t('2026-04-02'),
      'day-of-surgery-arrive': t('2026-04-02'),
      after: { start: t('2026-04-02'), end: t('2026-04-30') },
      'after-sit-up': { start: t('2026-04-02'), end: t('2026-04-02', '10:30:00') },
      'after-go-home': t('2026-04-03'),
      'after-wound-care': { start: t('2026-04-03') },
      'after-driving': { start: t('2026-04-09'), end: t('2026-04-16') },
      'after-light-work': t('2026-04-30'),
    });
    // No requester given: the questionnaire Task does not claim the profile that needs one.
    const task = (r.body as CarePlan).contained!.find(
      (c) => c.id === 'questionnaire-before-tell-surgeon',
    ) as Task;
    expect(task.meta).toBeUndefined();
    expect(task.requester).toBeUndefined();
  });
});

describe('other ways to give day 0 and the order', () => {
  test('procedureDate alone: no order, so no neck collar even for the neck patient', async () => {
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${smokerId}&procedureDate=2026-05-04`,
    );
    expect(r.status).toBe(200);
    const s = schedule(r.body);
    expect(s['after-soft-neck-collar']).toBeUndefined();
    expect(s['before-smoking']).toEqual({ end: '2026-05-03' });
    expect(s['week-before-stop-blood-thinners']).toEqual({ start: '2026-04-27', end: '2026-05-03' });
  });

  test('a Procedure coded ICD-10-PCS 01N10ZZ (cervical) as the order; procedureDate wins over its date', async () => {
    const procedure = await create<{ id: string }>(server, {
      resourceType: 'Procedure',
      status: 'preparation',
      code: { coding: [{ system: 'http://www.cms.gov/Medicare/Coding/ICD10', code: '01N10ZZ' }] },
      subject: { reference: `Patient/${plainId}` },
      performedDateTime: '2026-06-01',
    });
    const fromOrder = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${plainId}&order=Procedure/${procedure.id}`,
    );
    expect(fromOrder.status).toBe(200);
    expect(schedule(fromOrder.body)['after-soft-neck-collar']).toBe('2026-06-01');
    const overridden = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${plainId}&order=Procedure/${procedure.id}&procedureDate=2026-06-08`,
    );
    expect(schedule(overridden.body)['after-soft-neck-collar']).toBe('2026-06-08');
  });

  test('a patient without any completed response: every answer-based step stays in', async () => {
    const newcomer = await create<{ id: string }>(server, patient('Newcomer', 'unknown'));
    // An answer in progress does not count: only a completed response may leave a step out.
    await create(server, response(newcomer.id, 'in-progress', answerItems({ sex: 'unknown' })));
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${newcomer.id}&procedureDate=2026-07-01`,
    );
    expect(r.status).toBe(200);
    const s = schedule(r.body);
    expect(s).toMatchObject({
      'before-smoking': { end: '2026-06-30' },
      'before-see-condition-provider': { end: '2026-06-30' },
      'week-before-stop-blood-thinners': { start: '2026-06-24', end: '2026-06-30' },
    });
    expect('after-soft-neck-collar' in s).toBe(false);
    expect(
      (r.body as CarePlan).supportingInfo?.some((i) => i.reference?.startsWith('QuestionnaireResponse/')),
    ).toBe(false);
  });

  test('a completed response saying no blood thinners, no conditions and no smoking leaves those steps out', async () => {
    const healthy = await create<{ id: string }>(server, patient('Healthy', 'female'));
    await create(server, response(healthy.id, 'completed', answerItems({ sex: 'female' })));
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${healthy.id}&procedureDate=2026-07-01`,
    );
    expect(r.status).toBe(200);
    const s = schedule(r.body);
    for (const id of ['before-smoking', 'before-see-condition-provider', 'week-before-stop-blood-thinners'])
      expect(s[id]).toBeUndefined();
    expect(s['week-before-ask-medicines']).toEqual({ start: '2026-06-24', end: '2026-06-30' });
  });

  test('another condition alone brings the see-your-provider step', async () => {
    const other = await create<{ id: string }>(server, patient('Asthma', 'female'));
    await create(server, response(other.id, 'completed', answerItems({ sex: 'female', otherConditions: 'Asthma' })));
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${other.id}&procedureDate=2026-07-01`,
    );
    expect(schedule(r.body)['before-see-condition-provider']).toEqual({ end: '2026-06-30' });
  });

  test('diabetes brings the see-your-provider step', async () => {
    const diabetic = await create<{ id: string }>(server, patient('Diabetic', 'male'));
    await create(server, response(diabetic.id, 'completed', answerItems({ sex: 'male', diabetes: true })));
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${diabetic.id}&procedureDate=2026-07-01`,
    );
    expect(schedule(r.body)['before-see-condition-provider']).toEqual({ end: '2026-06-30' });
  });

  test('at the type level with the plan canonical', async () => {
    const r = await server.fetch(
      `/PlanDefinition/$apply?planDefinition=${PLAN_URL}&subject=Patient/${plainId}&procedureDate=2026-07-01`,
    );
    expect(r.status).toBe(200);
    expect(r.body.instantiatesCanonical).toEqual([`${PLAN_URL}|2.0.0`]);
  });
});

describe('the neck collar comes with every cervical code (ValueSet foraminotomy-cervical-procedure)', () => {
  const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
  test.each([
    [CPT, '63020', true],
    [CPT, '63040', true],
    [CPT, '63043', true],
    [CPT, '63045', true],
    [PCS, '01N10ZZ', true],
    [PCS, '01N14ZZ', true],
    [CPT, '63030', false],
    [CPT, '62380', false],
    [CPT, '63035', false],
    [CPT, '63048', false],
    [PCS, '01NB4ZZ', false],
  ])('%s|%s: collar step %s', async (system, code, collar) => {
    const order = await create<{ id: string }>(server, {
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      code: { coding: [{ system, code }] },
      subject: { reference: `Patient/${plainId}` },
      occurrenceDateTime: '2026-08-03',
    });
    const r = await server.fetch(
      `/PlanDefinition/foraminotomy/$apply?subject=Patient/${plainId}&order=ServiceRequest/${order.id}`,
    );
    expect(r.status).toBe(200);
    expect(schedule(r.body)['after-soft-neck-collar']).toEqual(collar ? '2026-08-03' : undefined);
  });

  test('a plan whose condition names a ValueSet this server does not hold is refused, naming it', async () => {
    const plan = (await server.fetch('/PlanDefinition/foraminotomy')).body;
    const collar = plan.action[3].action[0];
    collar.condition[0].expression.expression = "%order.code.memberOf('https://example.org/ValueSet/none')";
    const r = await server.fetch('/PlanDefinition/$apply', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'planDefinition', resource: plan },
          { name: 'subject', valueReference: { reference: `Patient/${plainId}` } },
          { name: 'procedureDate', valueDate: '2026-08-03' },
        ],
      }),
    });
    expect(r.status).toBe(422);
    expect(r.body.issue[0].diagnostics).toContain('https://example.org/ValueSet/none is not known');
  });
});

describe('refusals', () => {
  test.each([
    ['no procedure date', () => `subject=Patient/${plainId}`, 400, /needs the procedure date/],
    ['no subject', () => 'procedureDate=2026-07-01', 400, /exactly one subject/],
    [
      'a subject that is not a Patient',
      () => `subject=Practitioner/${coordinatorId}&procedureDate=2026-07-01`,
      400,
      /must be a Patient/,
    ],
    ['an unknown patient', () => 'subject=Patient/nobody&procedureDate=2026-07-01', 404, /not known/],
    [
      'a patient of another server (an absolute reference under a foreign base), even with the id of a local one',
      () => `subject=${encodeURIComponent(`http://elsewhere.example/fhir/Patient/${plainId}`)}&procedureDate=2026-07-01`,
      400,
      /must be a Patient reference/,
    ],
    [
      'an order of another patient',
      () => `subject=Patient/${plainId}&order=ServiceRequest/${neckOrderId}`,
      422,
      /is not an order for/,
    ],
    [
      'a partial procedure date',
      () => `subject=Patient/${plainId}&procedureDate=2026-07`,
      400,
      /procedureDate must be a date/,
    ],
    [
      'an unknown parameter',
      () => `subject=Patient/${plainId}&procedureDate=2026-07-01&surgeon=x`,
      400,
      /does not know the parameter/,
    ],
  ])('%s', async (_name, query, status, diagnostics) => {
    const r = await server.fetch(`/PlanDefinition/foraminotomy/$apply?${query()}`);
    expect(r.status).toBe(status);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(r.body.issue[0].diagnostics).toMatch(diagnostics);
  });
});
