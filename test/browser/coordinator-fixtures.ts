import type { Task } from 'fhir/r4';
import type { TestServer } from '../support/test-server';
import { assignment, coordinator, create, patient, PREOP_CONCERN, WORKFLOW_TASK } from '../integration/workflows/fixtures';
import { daysFromToday, order } from '../integration/web/patient-fixtures';

/** How far each seeded patient is: what the worklist must show for them. */
export type SeedKind = 'overdue' | 'concern' | 'sent' | 'not assigned' | 'in progress' | 'completed';
const KINDS: SeedKind[] = ['overdue', 'concern', 'sent', 'not assigned', 'in progress', 'completed'];

const SURNAMES = ['Adams', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Moreau', 'Nakamura', 'Okafor', 'Patel', 'Quinn', 'Rossi', 'Silva', 'Tanaka', 'Umar', 'Varga', 'Weber', 'Xu', 'Yilmaz', 'Zhang', 'Abbott', 'Brooks', 'Cohen', 'Dubois'];

export interface SeededPatient {
  family: string;
  kind: SeedKind;
  procedureDay: string;
  patientId: string;
  orderId: string;
  taskId: string | undefined;
}

/** An open follow-up concern (the answer "smokes") on an order. */
function followUpTask(patientReference: string, orderReference: string): Task {
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: WORKFLOW_TASK, code: 'review-preop-concern' }] },
    description: 'Pre-op questionnaire answer to review: smokes',
    for: { reference: patientReference },
    basedOn: [{ reference: orderReference }],
    reasonCode: { coding: [{ system: PREOP_CONCERN, code: 'smoking' }] },
  };
}

/**
 * Patients with a foraminotomy order each, the i-th on day `firstDay + i`, cycling through the
 * six states: overdue (due yesterday), an open concern (answered, one follow-up open), sent,
 * not assigned, in progress and completed.
 */
export async function seedWorklist(server: TestServer, count: number, firstDay = 8): Promise<SeededPatient[]> {
  const c = await create<{ id: string }>(server, coordinator('Nguyen'));
  const seeded: SeededPatient[] = [];
  for (let i = 0; i < count; i++) {
    const kind = KINDS[i % KINDS.length];
    const family = count <= SURNAMES.length ? SURNAMES[i] : `${SURNAMES[i % SURNAMES.length]}-${i}`;
    const p = await create<{ id: string }>(server, patient(family, 'female'));
    const procedureDay = daysFromToday(firstDay + i);
    const o = await create<{ id: string }>(server, order(p.id, procedureDay));
    let taskId: string | undefined;
    if (kind !== 'not assigned') {
      const due = kind === 'overdue' ? daysFromToday(-1) : daysFromToday(firstDay + i - 7);
      const task = assignment(p.id, c.id, daysFromToday(-3), due, `ServiceRequest/${o.id}`);
      task.status = kind === 'in progress' ? 'in-progress' : kind === 'completed' || kind === 'concern' ? 'completed' : 'requested';
      taskId = (await create<Task>(server, task)).id;
    }
    if (kind === 'concern') {
      await create<Task>(server, followUpTask(`Patient/${p.id}`, `ServiceRequest/${o.id}`));
    }
    seeded.push({ family, kind, procedureDay, patientId: p.id, orderId: o.id, taskId });
  }
  return seeded;
}

/** The order the worklist must show: overdue first, then open concerns, then the nearest procedure. */
export function expectedOrder(seeded: SeededPatient[]): string[] {
  const rank = (s: SeededPatient) => (s.kind === 'overdue' ? 0 : s.kind === 'concern' ? 1 : 2);
  return [...seeded].sort((a, b) => rank(a) - rank(b) || a.procedureDay.localeCompare(b.procedureDay)).map((s) => `Test ${s.family}`);
}

/** A request to the FHIR base (path relative to it), answering the status and the parsed body. */
export type FhirFetch = (path: string, init: RequestInit) => Promise<{ status: number; body: unknown }>;

/** How far one of many seeded patients is (`seedManyPatients`). */
export type ManyKind = 'overdue' | 'concern' | 'sent' | 'in progress';

/** Every third overdue, the others sent. */
const everyThirdOverdue = (i: number): ManyKind => (i % 3 === 0 ? 'overdue' : 'sent');

/**
 * Many patients at once, in transactions of 50: each named `{prefix}-{i}`, with a
 * foraminotomy order from day `firstDay` on (one day apart, cycling over a year) and an
 * assignment: overdue (due yesterday), sent, in progress, or completed with an open follow-up
 * concern, as `kindOf` says (every third overdue unless told).
 */
export async function seedManyPatients(fhir: FhirFetch, count: number, firstDay: number, kindOf: (i: number) => ManyKind = everyThirdOverdue, prefix = 'Many'): Promise<void> {
  const made = await fhir('/Practitioner', { method: 'POST', body: JSON.stringify(coordinator('Okoro')) });
  if (made.status !== 201) throw new Error(`create Practitioner: ${made.status}`);
  const c = made.body as { id: string };
  for (let from = 0; from < count; from += 50) {
    const entry = [];
    for (let i = from; i < Math.min(count, from + 50); i++) {
      const p = `urn:uuid:${crypto.randomUUID()}`;
      const o = `urn:uuid:${crypto.randomUUID()}`;
      const kind = kindOf(i);
      const day = daysFromToday(firstDay + (i % 365));
      const task = assignment('x', c.id, daysFromToday(-3), kind === 'overdue' ? daysFromToday(-1) : daysFromToday(firstDay - 7), o);
      task.for = { reference: p };
      task.owner = { reference: p };
      task.status = kind === 'in progress' ? 'in-progress' : kind === 'concern' ? 'completed' : 'requested';
      entry.push(
        { fullUrl: p, resource: patient(`${prefix}-${i}`, 'female'), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: o, resource: { ...order('x', day), subject: { reference: p } }, request: { method: 'POST', url: 'ServiceRequest' } },
        { resource: task, request: { method: 'POST', url: 'Task' } },
      );
      if (kind === 'concern') {
        entry.push({ resource: followUpTask(p, o), request: { method: 'POST', url: 'Task' } });
      }
    }
    const r = await fhir('/', { method: 'POST', body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    if (r.status !== 200) throw new Error(`seed transaction: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
  }
}
