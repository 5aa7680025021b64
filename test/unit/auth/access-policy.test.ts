import { AccessPolicy } from '../../../src/auth/access-policy';
import type { Principal } from '../../../src/auth/principal';
import { parseScopes } from '../../../src/auth/scopes';
import { FhirError } from '../../../src/fhir/fhir-error';

const PUBLIC = new Set(['PlanDefinition', 'Questionnaire', 'DocumentReference']);

function policy(scope: string | undefined, patient?: string): AccessPolicy {
  if (scope === undefined) return new AccessPolicy(undefined, PUBLIC);
  const principal: Principal = { clientId: 'c', subject: 'c', issuer: 'i', user: undefined, patient, scopes: parseScopes(scope).resources, tokenId: undefined };
  return new AccessPolicy(principal, PUBLIC);
}

describe('AccessPolicy', () => {
  test('anyone reads and searches the public types; nobody writes them without a scope', () => {
    expect(policy(undefined).access('PlanDefinition', 'r').kind).toBe('all');
    expect(policy(undefined).access('PlanDefinition', 's').kind).toBe('all');
    expect(policy(undefined).access('PlanDefinition', 'u').kind).toBe('none');
    expect(policy('patient/*.rs', 'p1').access('PlanDefinition', 'u').kind).toBe('none');
    expect(policy('system/PlanDefinition.u').access('PlanDefinition', 'u').kind).toBe('all');
  });

  test('system and user scopes reach every resource of their types', () => {
    expect(policy('system/*.cruds').access('Task', 'd').kind).toBe('all');
    expect(policy('user/Task.rs').access('Task', 'r').kind).toBe('all');
    expect(policy('user/Task.rs').access('Task', 'u').kind).toBe('none');
    expect(policy('user/Task.rs').access('Patient', 'r').kind).toBe('none');
  });

  test('patient scopes are confined to the compartment of the patient in context', () => {
    expect(policy('patient/*.rs', 'p1').access('Task', 'r')).toEqual({ kind: 'some', alternatives: [{ patient: 'p1', query: undefined, scope: 'patient/*.rs' }] });
    expect(policy('patient/*.rs', 'p1').access('Patient', 's')).toMatchObject({ kind: 'some', alternatives: [{ patient: 'p1' }] });
    // Without a patient claim, patient/ scopes reach none of the compartment.
    expect(policy('patient/*.rs').access('Task', 'r').kind).toBe('none');
  });

  test('patient scopes read types outside the compartment but never write them', () => {
    expect(policy('patient/*.cruds', 'p1').access('Practitioner', 'r').kind).toBe('all');
    expect(policy('patient/*.cruds', 'p1').access('Practitioner', 'c').kind).toBe('none');
  });

  test('patient scopes do not reach Binary or Bundle, and never write the public library', () => {
    expect(policy('patient/*.cruds', 'p1').access('Binary', 'r').kind).toBe('none');
    expect(policy('patient/*.cruds', 'p1').access('Bundle', 's').kind).toBe('none');
    expect(policy('patient/*.cruds', 'p1').access('PlanDefinition', 'r').kind).toBe('all');
    expect(policy('patient/DocumentReference.cruds', 'p1').access('DocumentReference', 'c').kind).toBe('none');
  });

  test('granular scopes are alternatives; one unrestricted scope makes the access whole', () => {
    expect(policy('patient/Task.rs?status=requested', 'p1').access('Task', 's')).toMatchObject({
      kind: 'some',
      alternatives: [{ patient: 'p1', query: [['status', 'requested']] }],
    });
    expect(policy('user/Task.rs?status=requested user/Task.rs?status=ready').access('Task', 's')).toMatchObject({ kind: 'some', alternatives: [{}, {}] });
    expect(policy('user/Task.rs?status=requested system/Task.s').access('Task', 's').kind).toBe('all');
  });

  test('AuditEvent needs a scope that names it', () => {
    expect(policy('system/*.rs').access('AuditEvent', 'r').kind).toBe('none');
    expect(policy('system/AuditEvent.rs').access('AuditEvent', 'r').kind).toBe('all');
  });

  test('a refusal is 401 without a token, 403 with one', () => {
    const refusal = (p: AccessPolicy) => {
      try {
        p.require('Task', 'r', 'Read');
      } catch (error) {
        return error as FhirError;
      }
      throw new Error('not refused');
    };
    const anonymous = refusal(policy(undefined));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['WWW-Authenticate']).toBe('Bearer realm="fhir"');
    const scoped = refusal(policy('system/Patient.rs'));
    expect(scoped.status).toBe(403);
    expect(scoped.outcome.issue[0].code).toBe('forbidden');
  });
});
