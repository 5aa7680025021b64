import type { Bundle, Patient, Questionnaire, QuestionnaireResponse, ServiceRequest, Task } from 'fhir/r4';
import { answeredQuestions, concernQuestions } from '../../../src/web/coordinator/app/answers';
import { addDays } from '../../../src/web/coordinator/app/dates';
import { byNeed, newAssignment, procedureCodes, rowsOf, statusOf, PREOP_CONCERN, WORKFLOW_TASK } from '../../../src/web/coordinator/app/model';
import questionnaire from '../../../content/Questionnaire-foraminotomy-preop.json';
import plan from '../../../content/PlanDefinition-foraminotomy.json';

const TODAY = '2026-12-07';

function assignment(status: Task['status'], due: string, order = 'o1'): Task {
  return {
    resourceType: 'Task',
    id: `a-${order}-${status}`,
    status,
    intent: 'order',
    code: { coding: [{ system: WORKFLOW_TASK, code: 'complete-questionnaire' }] },
    basedOn: [{ reference: `ServiceRequest/${order}` }],
    executionPeriod: { end: due },
    authoredOn: '2026-12-01T10:00:00Z',
  };
}

function followUp(status: Task['status'], concern: string, order = 'o1'): Task {
  return {
    resourceType: 'Task',
    id: `f-${order}-${concern}`,
    status,
    intent: 'order',
    code: { coding: [{ system: WORKFLOW_TASK, code: 'review-preop-concern' }] },
    basedOn: [{ reference: `ServiceRequest/${order}` }],
    reasonCode: { coding: [{ system: PREOP_CONCERN, code: concern }] },
  };
}

function order(id: string, day: string): ServiceRequest {
  return { resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: { reference: `Patient/p-${id}` }, occurrenceDateTime: day };
}

describe('the worklist model of the coordinator app', () => {
  test('the assignment status: not assigned, sent, in progress, completed, and overdue once past its due day unless completed', () => {
    expect(statusOf(undefined, TODAY)).toBe('not assigned');
    expect(statusOf(assignment('requested', TODAY), TODAY)).toBe('sent');
    expect(statusOf(assignment('in-progress', '2026-12-08'), TODAY)).toBe('in progress');
    expect(statusOf(assignment('requested', '2026-12-06'), TODAY)).toBe('overdue');
    expect(statusOf(assignment('in-progress', '2026-12-06'), TODAY)).toBe('overdue');
    expect(statusOf(assignment('completed', '2026-12-06'), TODAY)).toBe('completed');
  });

  test('rows of a search page: each order with its patient, its current (not cancelled) assignment and open follow-ups only', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        { resource: order('o1', '2026-12-20'), search: { mode: 'match' } },
        { resource: order('o2', '2026-12-10'), search: { mode: 'match' } },
        { resource: { resourceType: 'Patient', id: 'p-o1', name: [{ given: ['Ana'], family: 'Ruiz' }] } as Patient, search: { mode: 'include' } },
        { resource: assignment('cancelled', '2026-12-13', 'o1'), search: { mode: 'include' } },
        { resource: assignment('completed', '2026-12-13', 'o1'), search: { mode: 'include' } },
        { resource: followUp('requested', 'smoking', 'o1'), search: { mode: 'include' } },
        { resource: followUp('completed', 'alcohol', 'o1'), search: { mode: 'include' } },
      ],
    };
    const [first, second] = rowsOf(bundle, TODAY);
    expect(first.patient?.id).toBe('p-o1');
    expect(first.status).toBe('completed');
    expect(first.concerns.map((t) => t.id)).toEqual(['f-o1-smoking']);
    expect(second.patient).toBeUndefined();
    expect(second.status).toBe('not assigned');
    expect(second.concerns).toEqual([]);
  });

  test('what needs action first: overdue, then open concerns, then the nearest procedure', () => {
    const row = (status: ReturnType<typeof statusOf>, concerns: number, day: string) => ({ status, concerns: Array(concerns).fill(followUp('requested', 'x')), procedureDay: day, order: order(day, day), patient: undefined, assignment: undefined, due: undefined });
    const rows = [row('sent', 0, '2026-12-09'), row('completed', 2, '2026-12-30'), row('overdue', 0, '2026-12-25'), row('not assigned', 0, '2026-12-08')];
    expect(rows.sort(byNeed).map((r) => `${r.status}/${r.procedureDay}`)).toEqual(['overdue/2026-12-25', 'completed/2026-12-30', 'not assigned/2026-12-08', 'sent/2026-12-09']);
  });

  test("the library's procedure codes come from the plans' focus use context", () => {
    expect(procedureCodes([plan as never])).toEqual(expect.arrayContaining(['http://www.ama-assn.org/go/cpt|63047']));
  });

  test('a new assignment is the SDC questionnaire-task, for the order and its patient, due on the day given', () => {
    const task = newAssignment({ order: order('o9', '2027-01-20'), questionnaireUrl: 'https://q', questionnaireId: 'q1', due: addDays('2027-01-20', -7), requester: { reference: 'Practitioner/1' }, now: '2027-01-02T09:00:00Z' });
    expect(task.executionPeriod).toEqual({ start: '2027-01-02', end: '2027-01-13' });
    expect(task.basedOn).toEqual([{ reference: 'ServiceRequest/o9' }]);
    expect(task.for).toEqual({ reference: 'Patient/p-o9' });
    expect(task.input?.[0].valueCanonical).toBe('https://q');
  });

  test('the questions of each concern are read from the follow-up rules, and a follow-up sits beside the answer that raised it', () => {
    const q = questionnaire as Questionnaire;
    expect(concernQuestions(q).get('blood-thinners')).toEqual(['takes-blood-thinners', 'blood-thinners']);
    const response: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      item: [{ linkId: 'health', item: [{ linkId: 'smoking', answer: [{ valueBoolean: true }] }, { linkId: 'diabetes', answer: [{ valueBoolean: false }] }] }],
    };
    const { lines, unplaced } = answeredQuestions(q, response, [followUp('requested', 'smoking'), followUp('requested', 'pregnancy')]);
    const smoking = lines.find((l) => l.linkId === 'smoking');
    expect(smoking?.question).toBe('Do you smoke?');
    expect(smoking?.answers).toEqual(['Yes']);
    expect(smoking?.followUps.map((t) => t.id)).toEqual(['f-o1-smoking']);
    expect(lines.find((l) => l.linkId === 'diabetes')?.followUps).toEqual([]);
    expect(unplaced.map((t) => t.id)).toEqual(['f-o1-pregnancy']);
  });
});
