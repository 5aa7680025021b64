import type { Questionnaire, QuestionnaireResponse, Reference, Task, TaskOutput } from 'fhir/r4';
import { canonicalMatches, parseReference } from './fhir-lookup';
import {
  COMPLETE_QUESTIONNAIRE,
  PREOP_CONCERN_SYSTEM,
  REVIEW_PREOP_CONCERN,
  SDC_INPUT_QUESTIONNAIRE,
  SDC_OUTPUT_RESPONSE,
  SDC_TEMP_SYSTEM,
  WORKFLOW_TASK_SYSTEM,
} from './codes';
import type { FollowUpRule } from './follow-up-rules';

/**
 * The questionnaire-task pattern (SDC workflow.html#task-based) as pure functions over Tasks:
 * which Task asked for a response, how it records the response, and the follow-up Tasks that
 * answers raise.
 */

/** Statuses of an assignment that still waits for its response. */
const OPEN_STATUSES: ReadonlySet<Task['status']> = new Set([
  'requested',
  'received',
  'accepted',
  'ready',
  'in-progress',
  'on-hold',
]);

export function isQuestionnaireAssignment(task: Task): boolean {
  return (task.code?.coding ?? []).some(
    (c) =>
      c.code === COMPLETE_QUESTIONNAIRE &&
      (c.system === WORKFLOW_TASK_SYSTEM || c.system === SDC_TEMP_SYSTEM),
  );
}

/** Does the Task ask for this Questionnaire (by its canonical input, or by its focus)? */
export function assignsQuestionnaire(task: Task, questionnaire: Questionnaire): boolean {
  const inputs = (task.input ?? []).filter((i) =>
    (i.type.coding ?? []).some((c) => c.code === SDC_INPUT_QUESTIONNAIRE.code),
  );
  if (inputs.some((i) => canonicalMatches(i.valueCanonical ?? i.valueUri ?? i.valueUrl, questionnaire)))
    return true;
  const focus = task.focus?.reference;
  if (focus === undefined) return false;
  return (
    (questionnaire.id !== undefined &&
      focus.replace(/\/_history\/.*$/, '').endsWith(`Questionnaire/${questionnaire.id}`)) ||
    canonicalMatches(focus, questionnaire)
  );
}

function outputsResponse(task: Task, responseReference: string): boolean {
  return (task.output ?? []).some((o) => o.valueReference?.reference === responseReference);
}

/**
 * The assignment a response answers, among the patient's Tasks. R4 gives the response no
 * element that points at a Task (QuestionnaireResponse.basedOn is CarePlan | ServiceRequest),
 * so the link is found from the Task side, in this order:
 * 1. an open assignment whose output already names the response (the SDC way of saving work in progress);
 * 2. a Task the response names in basedOn (not valid R4, accepted from clients that do it anyway);
 * 3. an open assignment of this Questionnaire based on the same order as the response;
 * 4. the open assignment of this Questionnaire due first (executionPeriod.end), then the oldest.
 * `localBases`: the bases whose absolute references name this server's resources (localBases(service)).
 */
export function chooseAssignment(
  tasks: Task[],
  response: QuestionnaireResponse,
  questionnaire: Questionnaire,
  localBases?: readonly string[],
): Task | undefined {
  const self = `QuestionnaireResponse/${response.id}`;
  const subject = sameTarget(response.subject?.reference, localBases);
  const candidates = tasks.filter(
    (t) => isQuestionnaireAssignment(t) && OPEN_STATUSES.has(t.status) && subject(t.for?.reference),
  );
  const linked = candidates.find((t) => outputsResponse(t, self));
  if (linked) return linked;
  const basedOn = (response.basedOn ?? [])
    .map((r) => r.reference)
    .filter((r): r is string => r !== undefined);
  const named = candidates.find((t) =>
    basedOn.some((r) => r === `Task/${t.id}` || r.endsWith(`/Task/${t.id}`)),
  );
  if (named) return named;
  const matching = candidates.filter(
    (t) => assignsQuestionnaire(t, questionnaire) && !(t.output ?? []).some((o) => isResponseOutput(o)),
  );
  const sameOrder = matching.find((t) =>
    (t.basedOn ?? []).some((b) => b.reference !== undefined && basedOn.includes(b.reference)),
  );
  if (sameOrder) return sameOrder;
  return [...matching].sort(byDueDate)[0];
}

/** A predicate: does another reference name the same resource (relative or absolute form)? */
function sameTarget(reference: string | undefined, localBases?: readonly string[]): (other: string | undefined) => boolean {
  const target = parseReference(reference, localBases);
  return (other) => {
    const o = parseReference(other, localBases);
    return (
      target !== undefined && o !== undefined && o.resourceType === target.resourceType && o.id === target.id
    );
  };
}

function isResponseOutput(output: TaskOutput): boolean {
  return (
    (output.type.coding ?? []).some((c) => c.code === SDC_OUTPUT_RESPONSE.code) &&
    output.valueReference !== undefined
  );
}

function byDueDate(a: Task, b: Task): number {
  const due = (t: Task) => t.executionPeriod?.end ?? '9999';
  return (
    due(a).localeCompare(due(b)) ||
    (a.authoredOn ?? '').localeCompare(b.authoredOn ?? '') ||
    (a.id ?? '').localeCompare(b.id ?? '')
  );
}

/**
 * The assignment after a response was saved: the response becomes its output (SDC: also
 * while in progress, so the work can be resumed), and its status follows the response:
 * `completed` when the response is complete, otherwise `in-progress`. Returns undefined
 * when nothing changes.
 */
export function recordResponse(
  task: Task,
  response: QuestionnaireResponse,
  complete: boolean,
  now: string,
): Task | undefined {
  const reference = `QuestionnaireResponse/${response.id}`;
  const status: Task['status'] = complete ? 'completed' : 'in-progress';
  if (task.status === status && outputsResponse(task, reference)) return undefined;
  const others = (task.output ?? []).filter((o) => !isResponseOutput(o));
  return {
    ...task,
    status,
    lastModified: now,
    output: [...others, { type: { coding: [SDC_OUTPUT_RESPONSE] }, valueReference: { reference } }],
  };
}

/**
 * The preop-concern codes of the follow-up Tasks that already exist for a response, among the
 * Tasks focused on it (review Tasks only: any other Task on the response is not a follow-up).
 */
export function raisedConcerns(focusedOnResponse: Task[]): Set<string> {
  const codes = new Set<string>();
  const followUps = focusedOnResponse.filter((t) =>
    (t.code?.coding ?? []).some((c) => c.system === WORKFLOW_TASK_SYSTEM && c.code === REVIEW_PREOP_CONCERN),
  );
  for (const task of followUps) {
    for (const reason of task.reasonCode?.coding ?? [])
      if (reason.system === PREOP_CONCERN_SYSTEM && reason.code) codes.add(reason.code);
  }
  return codes;
}

/**
 * A Task for the coordinator to act on one concern of a completed response: owned by whoever
 * assigned the questionnaire, for the patient, focused on the response (what to review), with
 * the concern as its coded reason and the response as the reason's evidence, and based on the
 * order the assignment was based on.
 */
export function buildFollowUpTask(input: {
  response: QuestionnaireResponse;
  rule: FollowUpRule;
  assignment: Task | undefined;
  now: string;
}): Task {
  const { response, rule, assignment, now } = input;
  const reference: Reference = { reference: `QuestionnaireResponse/${response.id}` };
  const task: Task = {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: {
      coding: [
        { system: WORKFLOW_TASK_SYSTEM, code: REVIEW_PREOP_CONCERN, display: 'Review pre-op concern' },
      ],
    },
    description: `Pre-op questionnaire answer to review: ${rule.description ?? rule.concern.display ?? rule.concern.code}`,
    focus: reference,
    authoredOn: now,
    reasonCode: { coding: [rule.concern], text: rule.description },
    reasonReference: reference,
  };
  if (response.subject) task.for = response.subject;
  if (assignment?.requester) task.owner = assignment.requester;
  if (assignment?.basedOn?.length) task.basedOn = assignment.basedOn;
  return task;
}
