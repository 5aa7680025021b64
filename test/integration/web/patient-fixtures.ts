import type { ServiceRequest, Task } from 'fhir/r4';
import { json, type SecureServer } from '../security/security-helpers';
import { assignment, coordinator, CPT, patient } from '../workflows/fixtures';

export interface PatientCase {
  patientId: string;
  orderId: string;
  taskId: string;
}

/** The foraminotomy order (lumbar, CPT 63047) for a patient, on a given day. */
export function order(patientId: string, day: string): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    status: 'active',
    intent: 'order',
    code: { coding: [{ system: CPT, code: '63047', display: 'Laminectomy, facetectomy and foraminotomy; lumbar' }] },
    subject: { reference: `Patient/${patientId}` },
    occurrenceDateTime: day,
  };
}

/** Creates a patient, a coordinator, the order and the questionnaire assignment (with the care team's token). */
export async function createPatientCase(
  secure: SecureServer,
  admin: ReturnType<SecureServer['as']>,
  options: { family?: string; surgeryDay?: string; due?: string; start?: string } = {},
): Promise<PatientCase> {
  const post = async <T>(body: { resourceType: string }): Promise<T & { id: string }> => {
    const r = await admin(`/${body.resourceType}`, json('POST', body));
    if (r.status !== 201) throw new Error(`create ${body.resourceType}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T & { id: string };
  };
  const p = await post(patient(options.family ?? 'Rivera', 'female'));
  const c = await post(coordinator('Nguyen'));
  const surgeryDay = options.surgeryDay ?? daysFromToday(10);
  const o = await post<ServiceRequest>(order(p.id, surgeryDay));
  const task = await post<Task>(assignment(p.id, c.id, options.start ?? daysFromToday(-1), options.due ?? daysFromToday(7), `ServiceRequest/${o.id}`));
  return { patientId: p.id, orderId: o.id, taskId: task.id };
}

/** A calendar day relative to today (UTC), as YYYY-MM-DD. */
export function daysFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Makes a patient link for a Task; returns the link's parts. */
export async function makeLink(admin: ReturnType<SecureServer['as']>, taskId: string): Promise<{ url: string; plan: string; token: string; expires: string }> {
  const r = await admin(`/Task/${taskId}/$patient-link`, json('POST', { resourceType: 'Parameters' }));
  if (r.status !== 200) throw new Error(`$patient-link: ${r.status} ${JSON.stringify(r.body)}`);
  const value = (name: string) => (r.body.parameter as { name: string; valueUri?: string; valueInstant?: string }[]).find((p) => p.name === name);
  const url = value('url')!.valueUri!;
  return { url, plan: value('plan')!.valueUri!, token: url.split('#')[1], expires: value('expires')!.valueInstant! };
}
