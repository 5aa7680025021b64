import type { FhirResource } from 'fhir/r4';
import { json, type SecureServer } from './security-helpers';

/** Two patients with their own Tasks, responses and care plans; one Task of A names B as owner. */
export const SEED: FhirResource[] = [
  { resourceType: 'Patient', id: 'pat-a', name: [{ family: 'Adams' }], gender: 'female', birthDate: '1960-01-01' },
  { resourceType: 'Patient', id: 'pat-b', name: [{ family: 'Brown' }], gender: 'male', birthDate: '1970-02-02' },
  { resourceType: 'Practitioner', id: 'prac-1', name: [{ family: 'Carter' }] },
  { resourceType: 'Task', id: 'task-a1', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' }, owner: { reference: 'Practitioner/prac-1' } },
  { resourceType: 'Task', id: 'task-a2', status: 'completed', intent: 'order', for: { reference: 'Patient/pat-a' } },
  // A's Task that points at B: B must never come along with it.
  { resourceType: 'Task', id: 'task-a3', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' }, owner: { reference: 'Patient/pat-b' } },
  { resourceType: 'Task', id: 'task-b1', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-b' }, owner: { reference: 'Practitioner/prac-1' } },
  { resourceType: 'QuestionnaireResponse', id: 'qr-a', status: 'completed', subject: { reference: 'Patient/pat-a' } },
  { resourceType: 'QuestionnaireResponse', id: 'qr-b', status: 'completed', subject: { reference: 'Patient/pat-b' } },
  { resourceType: 'CarePlan', id: 'cp-a', status: 'active', intent: 'plan', subject: { reference: 'Patient/pat-a' } },
  { resourceType: 'CarePlan', id: 'cp-b', status: 'active', intent: 'plan', subject: { reference: 'Patient/pat-b' } },
];

/** Stores the seed through the API with a system token. */
export async function seed(secure: SecureServer): Promise<void> {
  const admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
  for (const resource of SEED) {
    const res = await admin(`/${resource.resourceType}/${resource.id}`, json('PUT', resource));
    if (res.status !== 201 && res.status !== 200) throw new Error(`seed ${resource.resourceType}/${resource.id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
