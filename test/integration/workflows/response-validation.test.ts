import type { OperationOutcome, QuestionnaireResponse, QuestionnaireResponseItem, Task } from 'fhir/r4';
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
  QUESTIONNAIRE_URL,
  response,
  WORKFLOW_TASK,
  type Answers,
} from './fixtures';

/**
 * Issue 6: every write of a QuestionnaireResponse is checked against its Questionnaire. A
 * response that breaks a rule is refused with 422 and one issue whose expression points at the
 * item, and nothing changes: no response, no version, no Task update, no follow-up.
 */
let server: TestServer;
let patientId: string;
let maleId: string;
let taskId: string;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  const coordinatorId = (await create(server, coordinator('Mbeki'))).id;
  patientId = (await create(server, patient('Rules', 'female'))).id;
  maleId = (await create(server, patient('RulesMale', 'male'))).id;
  taskId = (await create(server, assignment(patientId, coordinatorId, '2026-03-01', '2026-03-10'))).id;
});
afterAll(async () => {
  await server.close();
});

const smoker: Answers = {
  sex: 'female',
  pregnant: false,
  smoking: true,
  bloodThinners: ['prescription-blood-thinner'],
  bloodThinnerDetails: 'Warfarin',
};

/** The complete answers with one change made by `edit` (which receives the item tree to change in place). */
function edited(
  edit: (items: QuestionnaireResponseItem[]) => void,
  answers: Answers = smoker,
): QuestionnaireResponseItem[] {
  const items = answerItems(answers);
  edit(items);
  return items;
}

const group = (items: QuestionnaireResponseItem[], linkId: string) =>
  items.find((i) => i.linkId === linkId)!.item!;
const question = (items: QuestionnaireResponseItem[], groupId: string, linkId: string) =>
  group(items, groupId).find((i) => i.linkId === linkId)!;

async function state() {
  const responses = await server.fetch(`/QuestionnaireResponse?subject=Patient/${patientId}&_summary=count`);
  const task = await server.fetch(`/Task/${taskId}`);
  const followUps = await server.fetch(`/Task?code=${WORKFLOW_TASK}|review-preop-concern&_summary=count`);
  const history = await server.fetch(`/QuestionnaireResponse/_history?_summary=count`);
  return {
    responses: responses.body.total,
    taskVersion: task.body.meta.versionId,
    taskStatus: task.body.status,
    followUps: followUps.body.total,
    history: history.body.total,
  };
}

interface Case {
  rule: string;
  items: () => QuestionnaireResponseItem[];
  subject?: () => string;
  code: string;
  expression: string;
  diagnostics: RegExp;
  /** A base R4 invariant that the same mistake also breaks (reported by the structural validator, when wired). */
  alsoInvariant?: string;
}

const cases: Case[] = [
  {
    rule: 'a linkId that is not in the Questionnaire',
    items: () =>
      edited((items) => group(items, 'health').push({ linkId: 'shoe-size', answer: [{ valueInteger: 42 }] })),
    code: 'structure',
    expression: 'QuestionnaireResponse.item[2].item[5]',
    diagnostics: /linkId 'shoe-size' is not an item of/,
  },
  {
    rule: 'a linkId in the wrong place (smoking at the top level)',
    items: () => edited((items) => items.push({ linkId: 'smoking', answer: [{ valueBoolean: true }] })),
    code: 'structure',
    expression: 'QuestionnaireResponse.item[4]',
    diagnostics: /puts it inside item 'health'/,
  },
  {
    rule: 'items out of the Questionnaire order (planning before health)',
    items: () => edited((items) => items.splice(2, 2, items[3], items[2])),
    code: 'structure',
    expression: 'QuestionnaireResponse.item[3]',
    diagnostics: /Item 'health' is out of order: the Questionnaire puts it before 'planning'/,
  },
  {
    rule: 'an answer of the wrong type (a string for a boolean)',
    items: () => edited((items) => (question(items, 'health', 'smoking').answer = [{ valueString: 'yes' }])),
    code: 'value',
    expression: 'QuestionnaireResponse.item[2].item[4].answer[0]',
    diagnostics: /boolean question: its answer must be valueBoolean, not valueString/,
  },
  {
    rule: 'a code that is not one of the answer options',
    items: () =>
      edited((items) =>
        question(items, 'medicines-and-alcohol', 'blood-thinners').answer!.push({
          valueCoding: { system: PREOP_ANSWER, code: 'warfarin' },
        }),
      ),
    code: 'code-invalid',
    expression: 'QuestionnaireResponse.item[1].item[3].answer[1]',
    diagnostics: /preop-answer\|warfarin' is not one of the answer options of 'blood-thinners'/,
  },
  {
    rule: 'a required question left out of a completed response',
    items: () => edited((items) => group(items, 'medicines-and-alcohol').splice(1, 1)),
    code: 'required',
    expression: 'QuestionnaireResponse.item[1]',
    diagnostics: /Required question 'alcohol'/,
  },
  {
    rule: 'pregnancy left unanswered by a patient recorded as male (it is asked of everyone)',
    subject: () => maleId,
    items: () => edited((items) => group(items, 'about-you').splice(1, 1), { sex: 'male' }),
    code: 'required',
    expression: 'QuestionnaireResponse.item[0]',
    diagnostics: /Required question 'pregnant'/,
  },
  {
    rule: 'a required question enabled by an answer (the illnesses, once recent-illness is yes)',
    items: () =>
      edited((items) => (question(items, 'health', 'recent-illness').answer = [{ valueBoolean: true }])),
    code: 'required',
    expression: 'QuestionnaireResponse.item[2]',
    diagnostics: /Required question 'illnesses'/,
  },
  {
    rule: 'an answer to a disabled item (details of other conditions after answering no)',
    subject: () => maleId,
    items: () =>
      edited(
        (items) =>
          group(items, 'health').splice(4, 0, { linkId: 'other-conditions-details', answer: [{ valueString: 'Asthma' }] }),
        { sex: 'male' },
      ),
    code: 'business-rule',
    expression: 'QuestionnaireResponse.item[2].item[4]',
    diagnostics: /'other-conditions-details' is not enabled/,
  },
  {
    rule: 'an answer to an item disabled by enableBehavior any (details without a prescription or other thinner)',
    items: () =>
      edited(
        (items) =>
          (question(items, 'medicines-and-alcohol', 'blood-thinners').answer = [
            { valueCoding: { system: PREOP_ANSWER, code: 'aspirin' } },
          ]),
      ),
    code: 'business-rule',
    expression: 'QuestionnaireResponse.item[1].item[4]',
    diagnostics: /'blood-thinner-details' is not enabled/,
  },
  {
    rule: 'two answers to a question that does not repeat',
    items: () =>
      edited((items) => question(items, 'health', 'smoking').answer!.push({ valueBoolean: false })),
    code: 'structure',
    expression: 'QuestionnaireResponse.item[2].item[4].answer[1]',
    diagnostics: /does not repeat: it takes one answer, found 2/,
  },
  {
    rule: 'a repeating question given as two items instead of two answers',
    items: () =>
      edited((items) => {
        const meds = group(items, 'medicines-and-alcohol');
        meds.splice(4, 0, {
          linkId: 'blood-thinners',
          answer: [{ valueCoding: { system: PREOP_ANSWER, code: 'aspirin' } }],
        });
      }),
    code: 'structure',
    expression: 'QuestionnaireResponse.item[1].item[4]',
    diagnostics: /repeats by having several answers in one item/,
  },
  {
    rule: 'an answer longer than maxLength',
    items: () =>
      edited(
        (items) =>
          (question(items, 'medicines-and-alcohol', 'blood-thinner-details').answer = [
            { valueString: 'W'.repeat(201) },
          ]),
      ),
    code: 'value',
    expression: 'QuestionnaireResponse.item[1].item[4].answer[0]',
    diagnostics: /201 characters long; the Questionnaire allows at most 200/,
  },
  {
    rule: 'an answer on a group',
    items: () => edited((items) => (items[3].answer = [{ valueBoolean: true }])),
    code: 'structure',
    expression: 'QuestionnaireResponse.item[3].answer[0]',
    diagnostics: /'planning' is a group: it takes no answers/,
    alsoInvariant: 'qrs-1',
  },
];

describe.each(cases)('a completed response with $rule', (c) => {
  test(`is refused with one ${c.code} issue at the item, and nothing changes`, async () => {
    const before = await state();
    const subject = c.subject?.() ?? patientId;
    const r = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(subject, 'completed', c.items())),
    });
    expect(r.status).toBe(422);
    const outcome = r.body as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    const ours = outcome.issue.filter((i) => i.code !== 'invariant' || !c.alsoInvariant);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ severity: 'error', code: c.code, expression: [c.expression] });
    expect(ours[0].diagnostics).toMatch(c.diagnostics);
    for (const other of outcome.issue.filter((i) => !ours.includes(i)))
      expect(other.diagnostics).toContain(c.alsoInvariant);
    expect(await state()).toEqual(before);
  });
});

describe('rules of a completed response that do not apply in progress (R4 questionnaireresponse.html#validation)', () => {
  test('an in-progress response may omit required items, answer a disabled item and exceed maxLength', async () => {
    const items = edited(
      (all) => {
        group(all, 'health').splice(4, 0, { linkId: 'other-conditions-details', answer: [{ valueString: 'Asthma' }] });
        group(all, 'medicines-and-alcohol').splice(1, 1);
        question(all, 'medicines-and-alcohol', 'blood-thinner-details').answer = [
          { valueString: 'W'.repeat(201) },
        ];
      },
      { ...smoker, sex: 'male' },
    );
    const r = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(maleId, 'in-progress', items)),
    });
    expect(r.status).toBe(201);
    const completing = await server.fetch(`/QuestionnaireResponse/${r.body.id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...r.body, status: 'completed' }),
    });
    expect(completing.status).toBe(422);
    expect(completing.body.issue.map((i: { code: string }) => i.code).sort()).toEqual([
      'business-rule',
      'required',
      'value',
    ]);
  });

  test('but a wrong answer type is refused even in progress', async () => {
    const items = [
      {
        linkId: 'health',
        item: [{ linkId: 'smoking', answer: [{ valueCoding: { system: GENDER, code: 'male' } }] }],
      },
    ];
    const r = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(patientId, 'in-progress', items)),
    });
    expect(r.status).toBe(422);
    expect(r.body.issue[0].expression).toEqual(['QuestionnaireResponse.item[0].item[0].answer[0]']);
  });
});

describe('an update that breaks a rule', () => {
  test('leaves the stored response, the assignment and the follow-ups as they were', async () => {
    const created = await server.fetch('/QuestionnaireResponse', {
      method: 'POST',
      body: JSON.stringify(response(patientId, 'in-progress', answerItems(smoker))),
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = await state();
    const broken = {
      ...response(
        patientId,
        'completed',
        edited((items) => (question(items, 'health', 'smoking').answer = [{ valueString: 'yes' }])),
      ),
      id,
    };
    const r = await server.fetch(`/QuestionnaireResponse/${id}`, {
      method: 'PUT',
      body: JSON.stringify(broken),
    });
    expect(r.status).toBe(422);
    expect(await state()).toEqual(before);
    const stored = await server.fetch(`/QuestionnaireResponse/${id}`);
    expect(stored.body.meta.versionId).toBe('1');
    expect((stored.body as QuestionnaireResponse).status).toBe('in-progress');
    const task = await server.fetch(`/Task/${taskId}`);
    expect((task.body as Task).status).toBe('in-progress');
    expect(matches(await (await server.fetch(`/Task?focus=QuestionnaireResponse/${id}`)).body)).toHaveLength(
      0,
    );
  });

  test('a Questionnaire the server does not know is a warning, as in the HL7 reference validator', async () => {
    const unknown = { ...response(patientId, 'completed', []), questionnaire: `${QUESTIONNAIRE_URL}-unknown` };
    const r = await server.fetch('/QuestionnaireResponse/$validate', { method: 'POST', body: JSON.stringify(unknown) });
    expect(r.status).toBe(200);
    expect(r.body.issue).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ severity: 'warning', code: 'not-found', expression: ['QuestionnaireResponse.questionnaire'] }),
      ]),
    );
    expect(r.body.issue.filter((i: { severity: string }) => i.severity === 'error')).toEqual([]);
  });

});
