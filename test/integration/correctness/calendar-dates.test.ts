import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * Dates, dateTimes and instants must be real calendar values in R4's format, on every write
 * (422 naming the element, nothing stored) and in operation parameters (400): the same rule
 * the search parser applies.
 */
let server: TestServer;
let patientId: string;

beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  const created = await server.fetch('/Patient', json('POST', { resourceType: 'Patient', name: [{ family: 'Calendar' }] }));
  patientId = created.body.id;
});
afterAll(async () => {
  await server.close();
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body) });

async function patientCount(): Promise<number> {
  return (await server.fetch('/Patient?_summary=count')).body.total;
}

describe('impossible dates are refused on write', () => {
  test.each([
    ['30 February', '1968-02-30'],
    ['29 February outside a leap year', '2025-02-29'],
    ['31 April', '2026-04-31'],
    ['month 13', '2026-13-01'],
  ])('Patient.birthDate on %s answers 422 naming Patient.birthDate and stores nothing', async (_label, birthDate) => {
    const before = await patientCount();
    const res = await server.fetch('/Patient', json('POST', { resourceType: 'Patient', birthDate }));
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].expression).toEqual(['Patient.birthDate']);
    expect(res.body.issue[0].diagnostics).toContain(birthDate);
    expect(await patientCount()).toBe(before);
  });

  test('29 February of a leap year is a date', async () => {
    const res = await server.fetch('/Patient', json('POST', { resourceType: 'Patient', birthDate: '2024-02-29' }));
    expect(res.status).toBe(201);
  });

  test('ServiceRequest.occurrenceDateTime on 30 February answers 422 naming the element', async () => {
    const res = await server.fetch(
      '/ServiceRequest',
      json('POST', {
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/${patientId}` },
        occurrenceDateTime: '2026-02-30',
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['ServiceRequest.occurrenceDateTime']);
  });

  test('a dateTime with a time but no time zone answers 422', async () => {
    const res = await server.fetch(
      '/ServiceRequest',
      json('POST', {
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/${patientId}` },
        occurrenceDateTime: '2026-03-16T07:30:00',
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['ServiceRequest.occurrenceDateTime']);
    expect(res.body.issue[0].diagnostics).toMatch(/time zone/);
  });

  test('a dateTime on 31 June inside a nested element (HumanName.period.start) answers 422 naming it', async () => {
    const res = await server.fetch(
      '/Patient',
      json('POST', { resourceType: 'Patient', name: [{ family: 'Nested', period: { start: '2020-06-31' } }] }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['Patient.name[0].period.start']);
  });

  test('an impossible date inside a transaction refuses the whole Bundle', async () => {
    const before = await patientCount();
    const res = await server.fetch(
      '/',
      json('POST', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', birthDate: '2000-01-01' }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Patient', birthDate: '2001-02-29' }, request: { method: 'POST', url: 'Patient' } },
        ],
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]\..*birthDate$/);
    expect(await patientCount()).toBe(before);
  });

  test('an update to an impossible date leaves the stored version', async () => {
    const res = await server.fetch(
      `/Patient/${patientId}`,
      json('PUT', { resourceType: 'Patient', id: patientId, birthDate: '1970-09-31' }),
    );
    expect(res.status).toBe(422);
    const read = await server.fetch(`/Patient/${patientId}`);
    expect(read.body.birthDate).toBeUndefined();
    expect(read.body.meta.versionId).toBe('1');
  });
});

describe('impossible dates in operation parameters are refused with 400', () => {
  test('$apply with procedureDate=2026-04-31 answers 400 naming procedureDate', async () => {
    const res = await server.fetch(`/PlanDefinition/foraminotomy/$apply?subject=Patient/${patientId}&procedureDate=2026-04-31`);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual([`Parameters.parameter.where(name='procedureDate')`]);
    expect(res.body.issue[0].diagnostics).toMatch(/2026-04 has 30 days/);
  });

  test('$apply with a typed valueDate of 30 February in a Parameters body answers 400', async () => {
    const res = await server.fetch(
      '/PlanDefinition/foraminotomy/$apply',
      json('POST', {
        resourceType: 'Parameters',
        parameter: [
          { name: 'subject', valueString: `Patient/${patientId}` },
          { name: 'procedureDate', valueDate: '2026-02-30' },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue[0].expression).toEqual(['Parameters.parameter[1].valueDate']);
  });

  test('a real procedureDate still gives a plan', async () => {
    const res = await server.fetch(`/PlanDefinition/foraminotomy/$apply?subject=Patient/${patientId}&procedureDate=2026-04-30`);
    expect(res.status).toBe(200);
  });
});

describe('search agrees with writes', () => {
  test('birthdate=1968-02-30 is a 400 in search as it is a 422 on write', async () => {
    const res = await server.fetch('/Patient?birthdate=1968-02-30');
    expect(res.status).toBe(400);
  });
});
