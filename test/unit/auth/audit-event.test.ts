import { auditEvent, type AuditRecord } from '../../../src/auth/audit';

const request = { requestId: 'req-1', method: 'GET', path: '/fhir/Task', query: 'status=requested', ip: '10.0.0.1' };

function record(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    principal: { clientId: 'app', subject: 'app', issuer: 'https://issuer', user: 'Practitioner/p1', patient: undefined, scopes: [], tokenId: 'j1' },
    request,
    action: 'R',
    interaction: 'search-type',
    status: 200,
    failure: undefined,
    entities: ['Task/t1'],
    patients: ['pat-a'],
    query: 'status=requested',
    ...overrides,
  };
}

describe('auditEvent', () => {
  test('an R4 RESTful AuditEvent: type rest, the interaction as subtype, outcome from the status', () => {
    const event = auditEvent(record(), 'http://fhir.test/fhir');
    expect(event).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'search-type' }],
      action: 'R',
      outcome: '0',
      source: { observer: { identifier: { value: 'http://fhir.test/fhir' } } },
    });
    expect(new Date(event.recorded).toString()).not.toBe('Invalid Date');
  });

  test('who: the user as requestor, the client beside it, with the caller address', () => {
    const [user, client] = auditEvent(record(), 'b').agent;
    expect(user).toEqual({ who: { reference: 'Practitioner/p1' }, requestor: true });
    expect(client).toMatchObject({ who: { identifier: { system: 'https://issuer', value: 'app' } }, requestor: false, network: { address: '10.0.0.1', type: '2' } });
    const backend = auditEvent(record({ principal: { ...record().principal!, user: undefined } }), 'b').agent;
    expect(backend).toHaveLength(1);
    expect(backend[0].requestor).toBe(true);
  });

  test('what: the resources, the patients (so the event is in their compartment) and the query', () => {
    const entities = auditEvent(record(), 'b').entity!;
    expect(entities[0]).toMatchObject({ what: { reference: 'Task/t1' }, type: { code: '2' } });
    expect(entities[1]).toMatchObject({ what: { reference: 'Patient/pat-a' }, role: { code: '1' } });
    expect(Buffer.from(entities[2].query!, 'base64').toString()).toBe('status=requested');
  });

  test('failures: 4xx is a minor failure (4), 5xx a serious one (8), with the reason', () => {
    expect(auditEvent(record({ status: 403, failure: 'no scope' }), 'b')).toMatchObject({ outcome: '4', outcomeDesc: 'GET /fhir/Task -> 403 (request req-1): no scope' });
    expect(auditEvent(record({ status: 503 }), 'b').outcome).toBe('8');
    expect(auditEvent(record({ principal: undefined }), 'b').agent[0].who?.display).toMatch(/anonymous/);
  });
});
