import type { Bundle, FhirResource, Patient } from 'fhir/r4';
import { CdsHooksError } from './errors';
import { ID_PATTERN } from '../../fhir/resource-types';

/** A hook call (CDS Hooks 2.0 "Calling a CDS Service"), checked and narrowed to what we use. */
export interface HookRequest {
  hook: string;
  hookInstance: string;
  userId: string;
  patientId: string;
  encounterId: string | undefined;
  /** order-select: the ids (`ServiceRequest/abc`) of the newly selected orders. */
  selections: string[] | undefined;
  /** The orders of the ordering session (context.draftOrders). */
  draftOrders: FhirResource[];
  /** The Patient the client prefetched for the `patient` key, when it sent one (gender and birthDate only). */
  patient: Patient | undefined;
}

/** More orders than any ordering session holds: the service stops reading there. */
export const MAX_DRAFT_ORDERS = 100;
const MAX_ID_LENGTH = 256;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(object: Json, name: string, where: string): string {
  const value = object[name];
  if (typeof value !== 'string' || value.trim() === '') throw CdsHooksError.badRequest(`${where}${name} is required and must be a non-empty string`);
  if (value.length > MAX_ID_LENGTH) throw CdsHooksError.badRequest(`${where}${name} is longer than ${MAX_ID_LENGTH} characters`);
  if (value.includes('\u0000')) throw CdsHooksError.badRequest(`${where}${name} must not contain a NUL character`);
  return value;
}

/** context.patientId / encounterId: a FHIR id (R4 datatypes.html#id), as the suggested resources reference it. */
function fhirId(context: Json, name: string): string {
  const value = requiredString(context, name, 'context.');
  if (!ID_PATTERN.test(value)) throw CdsHooksError.badRequest(`context.${name} must be a FHIR id (1 to 64 of A-Z a-z 0-9 - .)`);
  return value;
}

/** `fhirAuthorization` needs its five fields and a `fhirServer` (CDS Hooks 2.0 "FHIR Resource Access"). */
function checkFhirAuthorization(body: Json): void {
  const auth = body.fhirAuthorization;
  if (auth === undefined) return;
  if (!isObject(auth)) throw CdsHooksError.badRequest('fhirAuthorization must be an object');
  for (const name of ['access_token', 'token_type', 'scope', 'subject']) requiredString(auth, name, 'fhirAuthorization.');
  if (typeof auth.expires_in !== 'number' || !Number.isInteger(auth.expires_in)) throw CdsHooksError.badRequest('fhirAuthorization.expires_in must be an integer');
  if (typeof body.fhirServer !== 'string' || !/^https?:\/\/\S+$/.test(body.fhirServer)) {
    throw CdsHooksError.badRequest('fhirServer (an absolute URL) is required when fhirAuthorization is sent');
  }
}

function draftOrdersOf(context: Json): FhirResource[] {
  const bundle = context.draftOrders;
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle') throw CdsHooksError.badRequest('context.draftOrders is required and must be a FHIR Bundle');
  const entries = (bundle as Partial<Bundle>).entry;
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw CdsHooksError.badRequest('context.draftOrders.entry must be an array');
  if (entries.length > MAX_DRAFT_ORDERS) throw CdsHooksError.badRequest(`context.draftOrders holds more than ${MAX_DRAFT_ORDERS} entries`);
  return entries.map((entry: unknown, i) => {
    const resource = isObject(entry) ? entry.resource : undefined;
    if (!isObject(resource) || typeof resource.resourceType !== 'string') {
      throw CdsHooksError.badRequest(`context.draftOrders.entry[${i}].resource must be a FHIR resource`);
    }
    return resource as unknown as FhirResource;
  });
}

function selectionsOf(context: Json): string[] {
  const selections = context.selections;
  if (!Array.isArray(selections) || selections.length === 0) throw CdsHooksError.badRequest('context.selections is required for order-select and must be a non-empty array');
  if (selections.length > MAX_DRAFT_ORDERS) throw CdsHooksError.badRequest(`context.selections holds more than ${MAX_DRAFT_ORDERS} ids`);
  return selections.map((s: unknown, i) => {
    if (typeof s !== 'string' || s === '' || s.length > MAX_ID_LENGTH) throw CdsHooksError.badRequest(`context.selections[${i}] must be an id such as ServiceRequest/abc`);
    return s;
  });
}

/** The `patient` prefetch: a Patient, or null / absent when the client could not or did not fetch it. */
function prefetchedPatient(body: Json): Patient | undefined {
  const prefetch = body.prefetch;
  if (prefetch === undefined) return undefined;
  if (!isObject(prefetch)) throw CdsHooksError.badRequest('prefetch must be an object');
  const patient = prefetch.patient;
  if (patient === undefined || patient === null) return undefined;
  if (!isObject(patient) || typeof patient.resourceType !== 'string') throw CdsHooksError.badRequest('prefetch.patient must be a FHIR resource or null');
  // An OperationOutcome says the client could not prefetch it: the service works without it.
  if (patient.resourceType !== 'Patient') return undefined;
  // Only the elements plan conditions read, and only when well-formed: the rest is not ours to evaluate.
  const kept: Patient = { resourceType: 'Patient' };
  if (typeof patient.gender === 'string' && ['male', 'female', 'other', 'unknown'].includes(patient.gender)) kept.gender = patient.gender as Patient['gender'];
  if (typeof patient.birthDate === 'string' && /^\d{4}(-\d{2}(-\d{2})?)?$/.test(patient.birthDate)) kept.birthDate = patient.birthDate;
  return kept;
}

/**
 * Checks a hook call for the service that answers `hook` and returns what the service uses.
 * Throws a 400 naming the first thing that is wrong.
 */
export function parseHookRequest(body: unknown, hook: 'order-select' | 'order-sign'): HookRequest {
  if (!isObject(body)) throw CdsHooksError.badRequest('The request body must be a JSON object (a CDS Hooks request)');
  const called = requiredString(body, 'hook', '');
  if (called !== hook) throw CdsHooksError.badRequest(`hook is "${called.slice(0, 64)}" but this service answers ${hook}`);
  const hookInstance = requiredString(body, 'hookInstance', '');
  if (body.fhirServer !== undefined && typeof body.fhirServer !== 'string') throw CdsHooksError.badRequest('fhirServer must be a URL string');
  checkFhirAuthorization(body);
  const context = body.context;
  if (!isObject(context)) throw CdsHooksError.badRequest('context is required and must be an object');
  return {
    hook: called,
    hookInstance,
    userId: requiredString(context, 'userId', 'context.'),
    patientId: fhirId(context, 'patientId'),
    encounterId: context.encounterId === undefined ? undefined : fhirId(context, 'encounterId'),
    selections: hook === 'order-select' ? selectionsOf(context) : undefined,
    draftOrders: draftOrdersOf(context),
    patient: prefetchedPatient(body),
  };
}
