import { randomUUID } from 'node:crypto';
import type { Task } from 'fhir/r4';
import { SignJWT } from 'jose';
import type { ResourceService } from '../services/resource-service';
import { unauthorized } from './auth-errors';
import type { Principal } from './principal';
import type { SigningKeys } from './signing-keys';

/** The `client_id` of every patient-link token (the audit trail names the link as the client). */
export const PATIENT_LINK_CLIENT = 'patient-link';

/** The claim naming the assignment Task a patient link was made for. */
export const PATIENT_LINK_TASK_CLAIM = 'patient_link_task';

/**
 * What a patient link may do, and no more: read the patient, their assignment Task and their
 * order; read the library the pages show; create, read, update and search the patient's own
 * QuestionnaireResponses. All `patient/` scopes, so all confined to that patient's compartment.
 */
export const PATIENT_LINK_SCOPES = [
  'patient/Patient.r',
  'patient/Task.rs',
  'patient/ServiceRequest.rs',
  'patient/Procedure.rs',
  'patient/QuestionnaireResponse.crus',
  'patient/Questionnaire.rs',
  'patient/PlanDefinition.rs',
  'patient/DocumentReference.rs',
].join(' ');

/** Statuses after which an assignment's link stops working. */
const CLOSED_STATUSES: ReadonlySet<Task['status']> = new Set(['cancelled', 'completed', 'entered-in-error', 'failed', 'rejected']);

export interface PatientLinkClaims {
  /** The FHIR base URL (aud) and the built-in issuer (iss). */
  audience: string;
  issuer: string;
  taskId: string;
  patientId: string;
  expiresAt: Date;
}

/** A signed patient-link token (a JWT with the server's own signing key). */
export async function signPatientLinkToken(keys: SigningKeys, claims: PatientLinkClaims): Promise<string> {
  const key = await keys.current();
  return new SignJWT({ client_id: PATIENT_LINK_CLIENT, patient: claims.patientId, scope: PATIENT_LINK_SCOPES, [PATIENT_LINK_TASK_CLAIM]: claims.taskId })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(`Task/${claims.taskId}`)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(Math.floor(claims.expiresAt.getTime() / 1000))
    .sign(key.privateKey);
}

/** The due date of an assignment: the end of its execution period, else of its restriction period. */
export function taskDueDate(task: Task): string | undefined {
  return task.executionPeriod?.end ?? task.restriction?.period?.end;
}

/** Why a link for this Task cannot be used now, or undefined when it can. */
export function closedLinkReason(task: Task | undefined, patientId: string | undefined): string | undefined {
  if (task === undefined) return 'the patient link\'s Task no longer exists';
  if (CLOSED_STATUSES.has(task.status)) return `the patient link's Task is ${task.status}`;
  const subject = task.for?.reference?.replace(/\/_history\/.*$/, '');
  if (patientId === undefined || !(subject === `Patient/${patientId}` || subject?.endsWith(`/Patient/${patientId}`))) {
    return 'the patient link\'s Task is no longer for this patient';
  }
  return undefined;
}

/**
 * Checked on every request made with a patient-link token: its Task must still exist, be open
 * and be for the token's patient. A cancelled or completed assignment ends the link at once,
 * whatever the token's expiry.
 */
export async function checkPatientLink(service: ResourceService, principal: Principal): Promise<void> {
  if (principal.patientLinkTask === undefined) return;
  const stored = await service.repository.read('Task', principal.patientLinkTask);
  const task = stored && !stored.deleted ? (JSON.parse(stored.content) as Task) : undefined;
  const reason = closedLinkReason(task, principal.patient);
  if (reason !== undefined) throw unauthorized(reason, true);
}
