import type { Bundle, Patient, PlanDefinition, Resource, ServiceRequest, Task } from 'fhir/r4';
import { today } from './dates';

export const BASE = 'https://patient-education.dev/fhir';
export const WORKFLOW_TASK = `${BASE}/CodeSystem/workflow-task`;
export const PREOP_CONCERN = `${BASE}/CodeSystem/preop-concern`;
export const QUESTIONNAIRE_TASK_PROFILE = `${BASE}/StructureDefinition/questionnaire-task`;
export const SDC_TEMP = 'http://hl7.org/fhir/uv/sdc/CodeSystem/temp';
const FOCUS_CONTEXT = 'http://terminology.hl7.org/CodeSystem/usage-context-type';

export type AssignmentStatus = 'not assigned' | 'sent' | 'in progress' | 'completed' | 'overdue';
export const STATUSES: AssignmentStatus[] = ['overdue', 'not assigned', 'sent', 'in progress', 'completed'];

export interface WorklistRow {
  patient: Patient | undefined;
  order: ServiceRequest;
  procedureDay: string | undefined;
  assignment: Task | undefined;
  status: AssignmentStatus;
  due: string | undefined;
  concerns: Task[];
}

function hasCode(task: Task, code: string): boolean {
  return (task.code?.coding ?? []).some((c) => c.code === code && (c.system === WORKFLOW_TASK || c.system === SDC_TEMP));
}

export const isAssignment = (t: Task) => hasCode(t, 'complete-questionnaire');
export const isFollowUp = (t: Task) => hasCode(t, 'review-preop-concern');
const CLOSED = new Set<Task['status']>(['completed', 'cancelled', 'rejected', 'failed', 'entered-in-error']);
export const isOpen = (t: Task) => !CLOSED.has(t.status);

/** The procedure codes of the library's plans (their focus use context), as `system|code` tokens. */
export function procedureCodes(plans: PlanDefinition[]): string[] {
  const codes = new Set<string>();
  for (const plan of plans)
    for (const context of plan.useContext ?? []) {
      if (context.code.system !== FOCUS_CONTEXT || context.code.code !== 'focus') continue;
      for (const c of context.valueCodeableConcept?.coding ?? []) if (c.system && c.code) codes.add(`${c.system}|${c.code}`);
    }
  return [...codes];
}

export function procedureDayOf(order: ServiceRequest): string | undefined {
  return (order.occurrenceDateTime ?? order.occurrencePeriod?.start)?.slice(0, 10);
}

/** The assignment of an order that counts: the newest that is not cancelled. */
export function currentAssignment(tasks: Task[]): Task | undefined {
  return tasks
    .filter((t) => isAssignment(t) && t.status !== 'cancelled' && t.status !== 'entered-in-error')
    .sort((a, b) => (b.authoredOn ?? '').localeCompare(a.authoredOn ?? ''))[0];
}

export function statusOf(assignment: Task | undefined, day: string = today()): AssignmentStatus {
  if (assignment === undefined) return 'not assigned';
  if (assignment.status === 'completed') return 'completed';
  const due = assignment.executionPeriod?.end?.slice(0, 10);
  if (due !== undefined && due < day) return 'overdue';
  return assignment.status === 'in-progress' ? 'in progress' : 'sent';
}

const refersTo = (reference: string | undefined, resource: Resource) => reference !== undefined && reference.replace(/\/_history\/.*$/, '').endsWith(`${resource.resourceType}/${resource.id}`);

/** The rows of a search page of orders with their patients and Tasks (_include / _revinclude). */
export function rowsOf(bundle: Bundle, day: string = today()): WorklistRow[] {
  const resources = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Resource => r !== undefined);
  const orders = (bundle.entry ?? []).filter((e) => e.search?.mode !== 'include' && e.resource?.resourceType === 'ServiceRequest').map((e) => e.resource as ServiceRequest);
  const patients = resources.filter((r): r is Patient => r.resourceType === 'Patient');
  const tasks = resources.filter((r): r is Task => r.resourceType === 'Task');
  return orders.map((order) => {
    const mine = tasks.filter((t) => (t.basedOn ?? []).some((b) => refersTo(b.reference, order)));
    const assignment = currentAssignment(mine);
    return {
      order,
      patient: patients.find((p) => refersTo(order.subject?.reference, p)),
      procedureDay: procedureDayOf(order),
      assignment,
      status: statusOf(assignment, day),
      due: assignment?.executionPeriod?.end?.slice(0, 10),
      concerns: mine.filter((t) => isFollowUp(t) && isOpen(t)),
    };
  });
}

/** How much a row needs action: 0 an overdue assignment, 1 open concerns, 2 neither. */
export function needRank(row: WorklistRow): number {
  return row.status === 'overdue' ? 0 : row.concerns.length > 0 ? 1 : 2;
}

/** What needs action first: overdue assignments, then open concerns, then the nearest procedure. */
export function byNeed(a: WorklistRow, b: WorklistRow): number {
  return needRank(a) - needRank(b) || (a.procedureDay ?? '9999').localeCompare(b.procedureDay ?? '9999') || patientName(a.patient).localeCompare(patientName(b.patient));
}

export function patientName(patient: Patient | undefined): string {
  const name = patient?.name?.[0];
  if (name === undefined) return 'Unknown patient';
  return [...(name.given ?? []), name.family].filter(Boolean).join(' ') || name.text || 'Unknown patient';
}

/** The assignment Task for an order (SDC questionnaire-task), due `due`. */
export function newAssignment(input: { order: ServiceRequest; questionnaireUrl: string; questionnaireId: string; due: string; requester: Task['requester']; now: string }): Task {
  const { order, questionnaireUrl, questionnaireId, due, requester, now } = input;
  return {
    resourceType: 'Task',
    meta: { profile: [QUESTIONNAIRE_TASK_PROFILE] },
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: WORKFLOW_TASK, code: 'complete-questionnaire', display: 'Complete questionnaire' }] },
    description: 'Please answer the questions before your surgery',
    focus: { reference: `Questionnaire/${questionnaireId}` },
    for: order.subject,
    basedOn: [{ reference: `ServiceRequest/${order.id}` }],
    authoredOn: now,
    executionPeriod: { start: now.slice(0, 10), end: due },
    requester,
    owner: order.subject,
    input: [{ type: { coding: [{ system: SDC_TEMP, code: 'questionnaire' }] }, valueCanonical: questionnaireUrl }],
  };
}
