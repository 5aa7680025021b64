import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Questionnaire, QuestionnaireResponse, Task } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import {
  answerItems,
  assignment,
  coordinator,
  create,
  GENDER,
  matches,
  patient,
  PREOP_ANSWER,
  PREOP_CONCERN,
  QUESTIONNAIRE_URL,
  response,
  WORKFLOW_TASK,
} from './fixtures';

/**
 * Issue 6, end to end over HTTP: a coordinator assigns the pre-op questionnaire, the patient
 * answers (in progress, then completed), the assignment completes in the same transaction and
 * the answers the Questionnaire's follow-up rules flag become Tasks on the coordinator's worklist.
 */
let server: TestServer;
let coordinatorId: string;
let otherCoordinatorId: string;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  coordinatorId = (await create(server, coordinator('Okafor'))).id;
  otherCoordinatorId = (await create(server, coordinator('Lindqvist'))).id;
});
afterAll(async () => {
  await server.close();
});

async function read<T>(path: string): Promise<T & { id: string; meta: { versionId: string } }> {
  const r = await server.fetch(path);
  expect(r.status).toBe(200);
  return r.body;
}

async function followUpsOf(responseId: string): Promise<Task[]> {
  const r = await server.fetch(
    `/Task?focus=QuestionnaireResponse/${responseId}&code=${WORKFLOW_TASK}|review-preop-concern`,
  );
  expect(r.status).toBe(200);
  return matches<Task>(r.body);
}

const concernCodes = (tasks: Task[]) => tasks.map((t) => t.reasonCode?.coding?.[0]?.code).sort();

describe('assigning the questionnaire', () => {
  let patientId: string;
  const taskIds: string[] = [];

  beforeAll(async () => {
    patientId = (await create(server, patient('Assigned', 'female'))).id;
    // Three assignments with different start and due dates; one already in progress, one for another coordinator's patient.
    taskIds.push((await create(server, assignment(patientId, coordinatorId, '2026-02-25', '2026-03-09'))).id);
    taskIds.push((await create(server, assignment(patientId, coordinatorId, '2026-02-20', '2026-03-03'))).id);
    const third = assignment(patientId, otherCoordinatorId, '2026-03-01', '2026-03-05');
    third.status = 'in-progress';
    taskIds.push((await create(server, third)).id);
    const done = assignment(patientId, coordinatorId, '2026-01-10', '2026-01-20');
    done.status = 'completed';
    await create(server, done);
  });

  test("the patient's worklist: owner + open statuses, sorted by period (its start) and by -period (its end)", async () => {
    const ascending = await server.fetch(
      `/Task?owner=Patient/${patientId}&status=requested,in-progress&_sort=period`,
    );
    expect(ascending.status).toBe(200);
    expect(matches<Task>(ascending.body).map((t) => t.id)).toEqual([taskIds[1], taskIds[0], taskIds[2]]);
    const descending = await server.fetch(
      `/Task?owner=Patient/${patientId}&status=requested,in-progress&_sort=-period`,
    );
    expect(matches<Task>(descending.body).map((t) => t.executionPeriod?.end)).toEqual([
      '2026-03-09',
      '2026-03-05',
      '2026-03-03',
    ]);
  });

  test('Task?patient= finds every assignment of the patient, in either reference form', async () => {
    for (const value of [patientId, `Patient/${patientId}`]) {
      const r = await server.fetch(`/Task?patient=${value}`);
      expect(matches(r.body)).toHaveLength(4);
    }
  });

  test('Task?focus= with _include=Task:focus returns the Questionnaire once', async () => {
    const r = await server.fetch(
      `/Task?focus=Questionnaire/foraminotomy-preop&patient=${patientId}&_include=Task:focus`,
    );
    expect(r.status).toBe(200);
    expect(matches(r.body)).toHaveLength(4);
    const included = r.body.entry
      .filter((e: { search: { mode: string } }) => e.search.mode === 'include')
      .map((e: { resource: { resourceType: string; url: string } }) => e.resource);
    expect(included).toEqual([
      expect.objectContaining({ resourceType: 'Questionnaire', url: QUESTIONNAIRE_URL }),
    ]);
  });

  test('Patient?_revinclude=Task:patient returns the patient with its assignments', async () => {
    const r = await server.fetch(`/Patient?_id=${patientId}&_revinclude=Task:patient`);
    expect(r.status).toBe(200);
    expect(matches(r.body)).toHaveLength(1);
    expect(
      r.body.entry.filter((e: { search: { mode: string } }) => e.search.mode === 'include'),
    ).toHaveLength(4);
  });
});

describe('answering: in progress, then completed', () => {
  let patientId: string;
  let taskId: string;
  let responseId: string;
  const concerns = {
    sex: 'female' as const,
    pregnant: false,
    medicines: [
      { name: 'Metformin 500 mg', kind: 'prescription-medicine' },
      { name: 'Fish oil', kind: 'supplement' },
    ],
    bloodThinners: ['aspirin'],
    smoking: true,
  };

  beforeAll(async () => {
    patientId = (await create(server, patient('Concerns', 'female'))).id;
    taskId = (await create(server, assignment(patientId, coordinatorId, '2026-03-01', '2026-03-10'))).id;
  });

  test('an in-progress response may leave required items empty; the assignment records it and is in progress', async () => {
    const partial = response(patientId, 'in-progress', [
      {
        linkId: 'about-you',
        item: [{ linkId: 'sex', answer: [{ valueCoding: { system: GENDER, code: 'female' } }] }],
      },
    ]);
    const r = await server.fetch('/QuestionnaireResponse', { method: 'POST', body: JSON.stringify(partial) });
    expect(r.status).toBe(201);
    responseId = r.body.id;
    const task = await read<Task>(`/Task/${taskId}`);
    expect(task.status).toBe('in-progress');
    expect(task.output).toEqual([
      {
        type: { coding: [expect.objectContaining({ code: 'questionnaire-response' })] },
        valueReference: { reference: `QuestionnaireResponse/${responseId}` },
      },
    ]);
    expect(await followUpsOf(responseId)).toHaveLength(0);
  });

  test('completing it completes the assignment and raises one follow-up per concern for the coordinator', async () => {
    const completed = { ...response(patientId, 'completed', answerItems(concerns)), id: responseId };
    const r = await server.fetch(`/QuestionnaireResponse/${responseId}`, {
      method: 'PUT',
      body: JSON.stringify(completed),
    });
    expect(r.status).toBe(200);

    const task = await read<Task>(`/Task/${taskId}`);
    expect(task.status).toBe('completed');
    expect(task.output?.[0].valueReference).toEqual({ reference: `QuestionnaireResponse/${responseId}` });

    const followUps = await followUpsOf(responseId);
    expect(concernCodes(followUps)).toEqual(['blood-thinners', 'medicines', 'smoking']);
    for (const f of followUps) {
      expect(f).toMatchObject({
        status: 'requested',
        intent: 'order',
        code: { coding: [{ system: WORKFLOW_TASK, code: 'review-preop-concern' }] },
        for: { reference: `Patient/${patientId}` },
        owner: { reference: `Practitioner/${coordinatorId}` },
        focus: { reference: `QuestionnaireResponse/${responseId}` },
        reasonReference: { reference: `QuestionnaireResponse/${responseId}` },
      });
      expect(f.reasonCode?.coding?.[0].system).toBe(PREOP_CONCERN);
    }
  });

  test("the coordinator's worklist shows the follow-ups; the other coordinator's does not", async () => {
    const mine = await server.fetch(
      `/Task?owner=Practitioner/${coordinatorId}&status=requested&code=${WORKFLOW_TASK}|review-preop-concern&patient=${patientId}`,
    );
    expect(concernCodes(matches<Task>(mine.body))).toEqual(['blood-thinners', 'medicines', 'smoking']);
    const theirs = await server.fetch(
      `/Task?owner=Practitioner/${otherCoordinatorId}&status=requested&code=${WORKFLOW_TASK}|review-preop-concern`,
    );
    expect(matches(theirs.body)).toHaveLength(0);
  });

  test('the coordinator reads the answers: the worklist with _include=Task:focus brings the response along', async () => {
    const r = await server.fetch(
      `/Task?owner=Practitioner/${coordinatorId}&status=requested&patient=${patientId}&_include=Task:focus`,
    );
    expect(r.status).toBe(200);
    const included = r.body.entry
      .filter((e: { search: { mode: string } }) => e.search.mode === 'include')
      .map((e: { resource: QuestionnaireResponse }) => e.resource);
    expect(included.map((q: QuestionnaireResponse) => `${q.resourceType}/${q.id}`)).toEqual([
      `QuestionnaireResponse/${responseId}`,
    ]);
    const byQuestionnaire = await server.fetch(
      `/QuestionnaireResponse?subject=Patient/${patientId}&questionnaire=${QUESTIONNAIRE_URL}&status=completed`,
    );
    expect(matches<QuestionnaireResponse>(byQuestionnaire.body).map((q) => q.id)).toEqual([responseId]);
  });

  test('re-saving the completed response (unchanged, or amended) raises no duplicate follow-ups', async () => {
    const same = { ...response(patientId, 'completed', answerItems(concerns)), id: responseId };
    expect(
      (
        await server.fetch(`/QuestionnaireResponse/${responseId}`, {
          method: 'PUT',
          body: JSON.stringify(same),
        })
      ).status,
    ).toBe(200);
    const amended = {
      ...response(patientId, 'amended', answerItems({ ...concerns, alcohol: true }), '2026-03-03T10:00:00Z'),
      id: responseId,
    };
    const r = await server.fetch(`/QuestionnaireResponse/${responseId}`, {
      method: 'PUT',
      body: JSON.stringify(amended),
    });
    expect(r.status).toBe(200);
    // Only the new concern (alcohol) is added.
    expect(concernCodes(await followUpsOf(responseId))).toEqual([
      'alcohol',
      'blood-thinners',
      'medicines',
      'smoking',
    ]);
    const task = await read<Task>(`/Task/${taskId}`);
    expect(task.status).toBe('completed');
  });

  test('$populate pre-fills the sex from the Patient and carries the medicines forward from the previous response', async () => {
    const r = await server.fetch(
      `/Questionnaire/foraminotomy-preop/$populate?subject=Patient/${patientId}&local=true`,
    );
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('Parameters');
    const populated = r.body.parameter.find((p: { name: string }) => p.name === 'response')
      .resource as QuestionnaireResponse;
    expect(populated).toMatchObject({
      resourceType: 'QuestionnaireResponse',
      status: 'in-progress',
      subject: { reference: `Patient/${patientId}` },
    });
    expect(populated.questionnaire).toBe(`${QUESTIONNAIRE_URL}|2.0.0`);
    const [aboutYou, meds, health] = populated.item!;
    expect(aboutYou.item![0]).toMatchObject({
      linkId: 'sex',
      answer: [{ valueCoding: { system: GENDER, code: 'female' } }],
    });
    expect(aboutYou.item![1].linkId).toBe('pregnant');
    expect(aboutYou.item![1].answer).toBeUndefined();
    expect(meds.item!.map((i) => i.linkId)).toEqual([
      'takes-medicines',
      'medicines',
      'medicines',
      'alcohol',
      'takes-blood-thinners',
      'blood-thinners',
      'blood-thinner-details',
    ]);
    expect(meds.item![0].answer).toEqual([{ valueBoolean: true }]);
    expect(meds.item![1].item).toEqual([
      expect.objectContaining({ linkId: 'medicine-name', answer: [{ valueString: 'Metformin 500 mg' }] }),
      expect.objectContaining({
        linkId: 'medicine-kind',
        answer: [{ valueCoding: { system: PREOP_ANSWER, code: 'prescription-medicine' } }],
      }),
    ]);
    expect(meds.item![3].answer).toBeUndefined();
    expect(health.item!.every((i) => i.answer === undefined)).toBe(true);
    // The populated response is itself acceptable as an in-progress response.
    const saved = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(populated),
    });
    expect(saved.status).toBe(201);
    await server.fetch(`/QuestionnaireResponse/${saved.body.id}`, { method: 'DELETE' });
  });

  test('$populate at the type level, by canonical, for a male patient without a previous response; without local nothing is filled', async () => {
    const male = await create<{ id: string }>(server, patient('Populate', 'male'));
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'canonical', valueUri: QUESTIONNAIRE_URL },
        { name: 'subject', valueReference: { reference: `Patient/${male.id}` } },
        { name: 'local', valueBoolean: true },
      ],
    };
    const r = await server.fetch('/Questionnaire/$populate', { method: 'POST', body: JSON.stringify(body) });
    expect(r.status).toBe(200);
    const populated = r.body.parameter[0].resource as QuestionnaireResponse;
    expect(populated.item![0].item![0].answer).toEqual([
      { valueCoding: expect.objectContaining({ code: 'male' }) },
    ]);
    expect(populated.item![1].item!.filter((i) => i.linkId === 'medicines')).toHaveLength(1);
    expect(populated.item![1].item![0].answer).toBeUndefined();

    const notLocal = await server.fetch(
      `/Questionnaire/$populate?identifier=urn:ietf:rfc:3986|${QUESTIONNAIRE_URL}&subject=Patient/${male.id}`,
    );
    expect(notLocal.status).toBe(200);
    expect(notLocal.body.parameter[0].resource.item[0].item[0].answer).toBeUndefined();
    const missing = await server.fetch(`/Questionnaire/foraminotomy-preop/$populate?local=true`);
    expect(missing.status).toBe(400);
  });
});

describe('a patient with no concerns', () => {
  test('completing the response completes the assignment and raises no follow-up', async () => {
    const patientId = (await create(server, patient('NoConcerns', 'male'))).id;
    const taskId = (await create(server, assignment(patientId, coordinatorId, '2026-03-01', '2026-03-10')))
      .id;
    const r = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(patientId, 'completed', answerItems({ sex: 'male' }))),
    });
    expect(r.status).toBe(201);
    const task = await read<Task>(`/Task/${taskId}`);
    expect(task.status).toBe('completed');
    expect(task.output?.[0].valueReference?.reference).toBe(`QuestionnaireResponse/${r.body.id}`);
    expect(await followUpsOf(r.body.id)).toHaveLength(0);
  });
});

describe('a patient with more Tasks than one page of the lookup', () => {
  test('the response still finds its assignment after 205 other Tasks of the patient, and a non-review Task on the response is not a follow-up', async () => {
    const patientId = 'many-tasks-patient';
    // Closed assignments whose ids sort before the open one: the lookup pages by id, 200 at a time.
    const closed = Array.from({ length: 205 }, (_, i) => ({
      ...assignment(patientId, coordinatorId, '2025-01-01', '2025-01-10'),
      id: `many-tasks-a-${String(i).padStart(3, '0')}`,
      status: 'completed' as const,
    }));
    const open = { ...assignment(patientId, coordinatorId, '2026-05-01', '2026-05-10'), id: 'many-tasks-z-open' };
    const entry = [{ ...patient('Manytasks', 'female'), id: patientId }, ...closed, open].map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    }));
    const setUp = await server.fetch('/', { method: 'POST', body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    expect(setUp.status).toBe(200);

    const responseId = 'many-tasks-response';
    const answers = answerItems({ sex: 'female', pregnant: false, smoking: true });
    // The response is begun first, so that the Task below can refer to it (referential integrity).
    const begun = { ...response(patientId, 'in-progress', answers), id: responseId };
    expect((await server.fetch(`/QuestionnaireResponse/${responseId}`, { method: 'PUT', body: JSON.stringify(begun) })).status).toBe(201);
    // A Task focused on the response that is not a review of a concern (it must not count as one raised).
    const other: Task = {
      resourceType: 'Task',
      id: 'many-tasks-other-on-response',
      status: 'requested',
      intent: 'order',
      code: { text: 'File the answers' },
      focus: { reference: `QuestionnaireResponse/${responseId}` },
      for: { reference: `Patient/${patientId}` },
      reasonCode: { coding: [{ system: PREOP_CONCERN, code: 'smoking' }] },
    };
    expect((await server.fetch(`/Task/${other.id}`, { method: 'PUT', body: JSON.stringify(other) })).status).toBe(201);
    const answered = { ...response(patientId, 'completed', answers), id: responseId };
    const r = await server.fetch(`/QuestionnaireResponse/${responseId}`, { method: 'PUT', body: JSON.stringify(answered) });
    expect(r.status).toBe(200);

    const task = await read<Task>(`/Task/${open.id}`);
    expect(task.status).toBe('completed');
    expect(task.output?.[0].valueReference).toEqual({ reference: `QuestionnaireResponse/${responseId}` });
    expect((await read<Task>(`/Task/${closed[0].id}`)).meta.versionId).toBe('1');
    expect(concernCodes(await followUpsOf(responseId))).toEqual(['smoking']);
  });
});

describe('questions asked of everyone, and answers that need the coordinator', () => {
  test('a patient recorded as male who could be pregnant, has no ride home and another condition raises those three follow-ups', async () => {
    const patientId = (await create(server, patient('Everyone', 'male'))).id;
    await create(server, assignment(patientId, coordinatorId, '2026-05-01', '2026-05-10'));
    const answers = answerItems({ sex: 'male', pregnant: true, rideHome: 'no', otherConditions: 'Asthma' });
    const r = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(patientId, 'completed', answers)),
    });
    expect(r.status).toBe(201);
    expect(concernCodes(await followUpsOf(r.body.id))).toEqual(['no-ride-home', 'other-conditions', 'pregnancy']);
  });

  test('"does not apply to me", "not needed or not sure" and no other condition raise nothing', async () => {
    const patientId = (await create(server, patient('Unsure', 'female'))).id;
    await create(server, assignment(patientId, coordinatorId, '2026-05-01', '2026-05-10'));
    const answers = answerItems({
      sex: 'female',
      pregnant: 'not-applicable',
      rideHome: 'not-needed-or-not-sure',
      homePrepared: 'not-needed-or-not-sure',
    });
    const r = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(patientId, 'completed', answers)),
    });
    expect(r.status).toBe(201);
    expect(await followUpsOf(r.body.id)).toEqual([]);
  });
});

describe('in one transaction Bundle (buffered writes)', () => {
  test('a response PUT after its assignment Task in the same Bundle completes that Task and raises its follow-ups', async () => {
    const patientId = 'tx-workflow-patient';
    const taskId = 'tx-workflow-task';
    const responseId = 'tx-workflow-response';
    const answers = { sex: 'female' as const, pregnant: false, smoking: true };
    const entry = [
      { ...patient('Intransaction', 'female'), id: patientId },
      { ...assignment(patientId, coordinatorId, '2026-04-01', '2026-04-10'), id: taskId },
      { ...response(patientId, 'completed', answerItems(answers)), id: responseId },
      { ...patient('Aftertheresponse', 'male'), id: 'tx-workflow-other' },
    ].map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
    const r = await server.fetch('/', { method: 'POST', body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    expect(r.status).toBe(200);
    expect(r.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(Array(4).fill('201 Created'));

    const task = await read<Task>(`/Task/${taskId}`);
    expect(task.status).toBe('completed');
    expect(task.meta.versionId).toBe('2');
    expect(task.output?.[0].valueReference).toEqual({ reference: `QuestionnaireResponse/${responseId}` });
    // The Task's index rows are those of version 2.
    const completed = await server.fetch(`/Task?_id=${taskId}&status=completed&_summary=count`);
    expect(completed.body.total).toBe(1);
    const requested = await server.fetch(`/Task?_id=${taskId}&status=requested&_summary=count`);
    expect(requested.body.total).toBe(0);
    expect(concernCodes(await followUpsOf(responseId))).toEqual(['smoking']);
    expect((await server.fetch('/Patient/tx-workflow-other')).status).toBe(200);
  });
});

describe('a transaction that moves an assignment to another patient before the responses', () => {
  test("each response finds the Tasks as the Bundle left them, not as they are stored: the moved Task is the new patient's", async () => {
    const [fromId, toId] = ['moved-task-from', 'moved-task-to'];
    const stored = { ...assignment(fromId, coordinatorId, '2026-06-01', '2026-06-10'), id: 'moved-task' };
    const put = (resource: { resourceType: string; id?: string }) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    });
    const setUp = await server.fetch('/', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [put({ ...patient('Movedfrom', 'female'), id: fromId }), put({ ...patient('Movedto', 'male'), id: toId }), put(stored)],
      }),
    });
    expect(setUp.status).toBe(200);

    // The stored index rows say the Task is the first patient's; the Bundle moves it first.
    const moved = { ...assignment(toId, coordinatorId, '2026-06-01', '2026-06-10'), id: stored.id };
    const fromAnswer = { ...response(fromId, 'completed', answerItems({ sex: 'female', pregnant: false, smoking: false })), id: 'moved-task-r-from' };
    const toAnswer = { ...response(toId, 'completed', answerItems({ sex: 'male', smoking: true })), id: 'moved-task-r-to' };
    const r = await server.fetch('/', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [put(moved), put(fromAnswer), put(toAnswer)] }),
    });
    expect(r.status).toBe(200);

    const task = await read<Task>(`/Task/${stored.id}`);
    expect(task.for?.reference).toBe(`Patient/${toId}`);
    expect(task.status).toBe('completed');
    expect(task.output?.map((o) => o.valueReference?.reference)).toEqual([`QuestionnaireResponse/${toAnswer.id}`]);
    expect(concernCodes(await followUpsOf(toAnswer.id))).toEqual(['smoking']);
    expect(await followUpsOf(fromAnswer.id)).toHaveLength(0);
  });
});

describe('a transaction that changes the Questionnaire between two responses', () => {
  test('the second response is checked against the new version (the per-transaction lookup is renewed)', async () => {
    const original = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../../content/Questionnaire-foraminotomy-preop.json'), 'utf8'),
    ) as Questionnaire;
    const url = `${QUESTIONNAIRE_URL}-memo`;
    const v1: Questionnaire = { ...original, id: 'memo-preop', url };
    const v2: Questionnaire = {
      ...v1,
      item: [...(v1.item ?? []), { linkId: 'memo-extra', type: 'boolean', text: 'One more question?' }],
    };
    const put = (resource: Questionnaire | QuestionnaireResponse) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    });
    const first = await server.fetch(`/Questionnaire/memo-preop`, { method: 'PUT', body: JSON.stringify(v1) });
    expect(first.status).toBe(201);
    const patientId = (await create(server, patient('Memo', 'female'))).id;
    const answer = (id: string, items: NonNullable<QuestionnaireResponse['item']>) => ({
      ...response(patientId, 'in-progress', items),
      questionnaire: url,
      id,
    });
    const sex = { linkId: 'about-you', item: [{ linkId: 'sex', answer: [{ valueCoding: { system: GENDER, code: 'female' } }] }] };
    const extra = { linkId: 'memo-extra', answer: [{ valueBoolean: true }] };
    // Against version 1 the extra answer is refused ...
    const refused = await server.fetch('/', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [put(answer('memo-r0', [sex, extra]))] }),
    });
    expect(refused.status).toBe(422);
    // ... and after version 2 in the same transaction it is accepted.
    const r = await server.fetch('/', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [put(answer('memo-r1', [sex])), put(v2), put(answer('memo-r2', [sex, extra]))],
      }),
    });
    expect(r.status).toBe(200);
    expect((await server.fetch('/QuestionnaireResponse/memo-r2')).status).toBe(200);
  });
});
