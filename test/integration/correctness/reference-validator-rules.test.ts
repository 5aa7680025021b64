import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Rules of base R4 that the HL7 reference validator applies (no profiles, no terminology
 * server), one test each, over HTTP: on write (422) and with $validate.
 */
let server: TestServer;
let patientId: string;

beforeAll(async () => {
  server = await startTestServer();
  patientId = (await server.fetch('/Patient', json('POST', { resourceType: 'Patient' }))).body.id;
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });
const issuesOf = (body: any, severity: string) => (body.issue ?? []).filter((i: any) => i.severity === severity);

async function validate(resource: { resourceType: string }) {
  const res = await server.fetch(`/${resource.resourceType}/$validate`, json('POST', resource));
  expect(res.status).toBe(200);
  return res.body;
}

const patientRef = () => ({ reference: `Patient/${patientId}` });

test('per-1: a Period whose start is after its end is refused (time zones compared as instants)', async () => {
  const res = await server.fetch(
    '/Encounter',
    json('POST', {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: patientRef(),
      period: { start: '2026-03-16T10:00:00Z', end: '2026-03-16T10:30:00+01:00' },
    }),
  );
  expect(res.status).toBe(422);
  expect(res.body.issue[0].expression).toEqual(['Encounter.period']);
  expect(res.body.issue[0].diagnostics).toContain('per-1');
});

test('Attachment.size must be the size of the decoded data', async () => {
  const letter = (size: number) => ({
    resourceType: 'DocumentReference',
    status: 'current',
    subject: patientRef(),
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('hello').toString('base64'), size } }],
  });
  const wrong = await server.fetch('/DocumentReference', json('POST', letter(99)));
  expect(wrong.status).toBe(422);
  expect(wrong.body.issue[0].expression).toEqual(['DocumentReference.content[0].attachment.size']);
  expect((await server.fetch('/DocumentReference', json('POST', letter(5)))).status).toBe(201);
});

describe('Bundle rules', () => {
  const patient = (id: string) => ({ resourceType: 'Patient', id });

  test('a relative fullUrl is an error', async () => {
    const body = await validate({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'Patient/1', resource: patient('1') }] } as any);
    expect(issuesOf(body, 'error')).toEqual([expect.objectContaining({ expression: ['Bundle.entry[0].fullUrl'] })]);
  });

  test('two entries holding the same resource (type and id) are an error', async () => {
    const body = await validate({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ resource: patient('dup') }, { resource: patient('dup') }],
    } as any);
    expect(issuesOf(body, 'error')).toEqual([expect.objectContaining({ expression: ['Bundle.entry[1].resource.id'] })]);
  });

  test('the link relation self twice is an error', async () => {
    const body = await validate({
      resourceType: 'Bundle',
      type: 'searchset',
      link: [
        { relation: 'self', url: 'https://a.example/fhir/Patient?x=1' },
        { relation: 'self', url: 'https://a.example/fhir/Patient?x=2' },
      ],
    } as any);
    expect(issuesOf(body, 'error')).toEqual([expect.objectContaining({ expression: ['Bundle.link'] })]);
  });

  test('a reference in a document that matches two entries is an error', async () => {
    const body = await validate({
      resourceType: 'Bundle',
      type: 'document',
      identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3f2b6e-0000-4000-8000-000000000001' },
      timestamp: '2026-03-16T10:00:00Z',
      entry: [
        {
          fullUrl: 'urn:uuid:0c3f2b6e-0000-4000-8000-000000000002',
          resource: {
            resourceType: 'Composition',
            status: 'final',
            type: { text: 'Letter' },
            subject: { reference: 'Patient/p' },
            date: '2026-03-16',
            author: [{ display: 'Clinic' }],
            title: 'Letter',
          },
        },
        { fullUrl: 'https://a.example/fhir/Patient/p', resource: patient('p') },
        { fullUrl: 'https://b.example/fhir/Patient/p', resource: patient('p') },
      ],
    } as any);
    expect(issuesOf(body, 'error')).toEqual([
      expect.objectContaining({ expression: ['Bundle.entry[0].resource.subject.reference'] }),
    ]);
    expect(issuesOf(body, 'error')[0].diagnostics).toContain('matches 2 entries');
  });
});

test('a string over 1 MB is refused', async () => {
  const res = await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ text: 'x'.repeat(1024 * 1024 + 1) }] }));
  expect(res.status).toBe(422);
  expect(res.body.issue[0]).toMatchObject({ code: 'too-long', expression: ['Patient.name[0].text'] });
});

test('HTML inside markdown is a warning, as in the reference validator', async () => {
  const body = await validate({ resourceType: 'PlanDefinition', status: 'draft', description: 'Take <b>no</b> aspirin' } as any);
  expect(issuesOf(body, 'error')).toEqual([]);
  expect(issuesOf(body, 'warning')).toEqual([expect.objectContaining({ expression: ['PlanDefinition.description'] })]);
});

test('a core extension used outside its declared context is refused', async () => {
  const res = await server.fetch(
    '/Patient',
    json('POST', {
      resourceType: 'Patient',
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-hidden', valueBoolean: true }],
    }),
  );
  expect(res.status).toBe(422);
  expect(res.body.issue[0].expression).toEqual(['Patient.extension[0]']);
  expect(res.body.issue[0].diagnostics).toMatch(/not allowed on Patient/);
  const inContext = await server.fetch(
    '/Questionnaire',
    json('POST', {
      resourceType: 'Questionnaire',
      status: 'active',
      item: [{ linkId: 'a', type: 'string', extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-hidden', valueBoolean: true }] }],
    }),
  );
  expect(inContext.status).toBe(201);
});
