import type { Questionnaire, QuestionnaireResponse, Task } from 'fhir/r4';
import { buildFollowUpTask, chooseAssignment, recordResponse } from '../../../src/workflows/assignment';
import { readFollowUpRules } from '../../../src/workflows/follow-up-rules';
import { assignment, QUESTIONNAIRE_URL } from '../../integration/workflows/fixtures';
import { preopQuestionnaire, validationErrors } from './fixtures';

const questionnaire: Questionnaire = { ...preopQuestionnaire(), id: 'foraminotomy-preop' };
const response: QuestionnaireResponse = {
  resourceType: 'QuestionnaireResponse',
  id: 'qr1',
  questionnaire: QUESTIONNAIRE_URL,
  status: 'completed',
  subject: { reference: 'Patient/p1' },
  basedOn: [{ reference: 'ServiceRequest/surgery' }],
};
const task = (id: string, start: string, due: string, extra: Partial<Task> = {}): Task => ({
  ...assignment('p1', 'c1', start, due),
  id,
  ...extra,
});

test('the open assignment due first is chosen; closed ones, other patients and other questionnaires are not', () => {
  const tasks = [
    task('late', '2026-03-01', '2026-03-20'),
    task('early', '2026-03-02', '2026-03-10'),
    task('done', '2026-02-01', '2026-03-01', { status: 'completed' }),
    task('other-patient', '2026-02-01', '2026-03-01', { for: { reference: 'Patient/p2' } }),
    task('other-form', '2026-02-01', '2026-03-01', {
      input: [],
      focus: { reference: 'Questionnaire/other' },
    }),
  ];
  expect(chooseAssignment(tasks, response, questionnaire)?.id).toBe('early');
});

test('an assignment based on the same order as the response wins, and one already holding the response wins over all', () => {
  const tasks = [
    task('early', '2026-03-02', '2026-03-10'),
    task('ordered', '2026-03-01', '2026-03-20', { basedOn: [{ reference: 'ServiceRequest/surgery' }] }),
  ];
  expect(chooseAssignment(tasks, response, questionnaire)?.id).toBe('ordered');
  const resumed = task('resumed', '2026-03-05', '2026-03-30', {
    status: 'in-progress',
    output: [
      {
        type: { coding: [{ code: 'questionnaire-response' }] },
        valueReference: { reference: 'QuestionnaireResponse/qr1' },
      },
    ],
  });
  expect(chooseAssignment([...tasks, resumed], response, questionnaire)?.id).toBe('resumed');
});

test('an assignment that already holds another response is not taken over', () => {
  const other = task('busy', '2026-03-01', '2026-03-10', {
    status: 'in-progress',
    output: [
      {
        type: { coding: [{ code: 'questionnaire-response' }] },
        valueReference: { reference: 'QuestionnaireResponse/qr0' },
      },
    ],
  });
  expect(chooseAssignment([other], response, questionnaire)).toBeUndefined();
});

test('recording the response: in progress, then completed, then nothing more to change; the result is valid R4', () => {
  const open = task('t1', '2026-03-01', '2026-03-10');
  const started = recordResponse(open, response, false, '2026-03-02T10:00:00Z')!;
  expect(started.status).toBe('in-progress');
  const done = recordResponse(started, response, true, '2026-03-03T10:00:00Z')!;
  expect(done).toMatchObject({ status: 'completed', lastModified: '2026-03-03T10:00:00Z' });
  expect(done.output).toHaveLength(1);
  expect(recordResponse(done, response, true, '2026-03-04T10:00:00Z')).toBeUndefined();
  expect(validationErrors(done)).toEqual([]);
});

test('a follow-up Task is valid R4, owned by the assigner, about the response', () => {
  const rule = readFollowUpRules(questionnaire).find((r) => r.concern.code === 'smoking')!;
  const followUp = buildFollowUpTask({
    response,
    rule,
    assignment: task('t1', '2026-03-01', '2026-03-10'),
    now: '2026-03-03T10:00:00Z',
  });
  expect(followUp).toMatchObject({
    owner: { reference: 'Practitioner/c1' },
    for: { reference: 'Patient/p1' },
    focus: { reference: 'QuestionnaireResponse/qr1' },
  });
  expect(validationErrors(followUp)).toEqual([]);
});

test("a Task for the patient by an absolute reference matches under the server's own base, not under another server's", () => {
  const base = 'http://fhir.test/fhir';
  const absolute = task('absolute', '2026-03-01', '2026-03-10', { for: { reference: `${base}/Patient/p1` } });
  expect(chooseAssignment([absolute], response, questionnaire, [base])?.id).toBe('absolute');
  const foreign = task('foreign', '2026-03-01', '2026-03-10', { for: { reference: 'http://elsewhere.example/fhir/Patient/p1' } });
  expect(chooseAssignment([foreign], response, questionnaire, [base])).toBeUndefined();
});
