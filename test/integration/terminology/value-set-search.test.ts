import { startTestServer, type TestServer } from '../../support/test-server';

const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const enc = encodeURIComponent;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const put = async (resource: any) => {
    const res = await server.fetch(`/${resource.resourceType}/${resource.id}`, { method: 'PUT', body: JSON.stringify(resource) });
    expect([200, 201]).toContain(res.status);
  };
  const observation = (id: string, system: string, code: string) =>
    put({ resourceType: 'Observation', id, status: 'final', code: { coding: [{ system, code }] } });
  await observation('o-heart', LOINC, '8867-4');
  await observation('o-resp', LOINC, '9279-1');
  await observation('o-temp', LOINC, '8310-5');
  await observation('o-sct', SCT, '271649006');
  const vs = (id: string, compose: any) => put({ resourceType: 'ValueSet', id, url: `http://example.org/ValueSet/${id}`, status: 'active', compose });
  await vs('vitals', { include: [{ system: LOINC, concept: [{ code: '8867-4' }, { code: '9279-1' }, { code: '8310-5' }] }] });
  await vs('vitals-but-temp', {
    include: [{ valueSet: ['http://example.org/ValueSet/vitals'] }],
    exclude: [{ system: LOINC, concept: [{ code: '8310-5' }] }],
  });
  await vs('vitals-and-heart', { include: [{ valueSet: ['http://example.org/ValueSet/vitals'], system: LOINC, concept: [{ code: '8867-4' }, { code: '1234-5' }] }] });
  await vs('self', { include: [{ valueSet: ['http://example.org/ValueSet/self'] }, { system: LOINC, concept: [{ code: '8867-4' }] }] });
  await vs('ping', { include: [{ valueSet: ['http://example.org/ValueSet/pong'] }] });
  await vs('pong', { include: [{ valueSet: ['http://example.org/ValueSet/ping'] }] });
  await vs('all-snomed', { include: [{ system: SCT }] });
  await vs('big', { include: [{ system: 'urn:example:big', concept: Array.from({ length: 10_050 }, (_, i) => ({ code: `c${i}` })) }] });
});
afterAll(async () => {
  await server.close();
});

const ids = async (query: string): Promise<string[]> => {
  const res = await server.fetch(query);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id).sort();
};

describe(':in and :not-in through the one ValueSet expander', () => {
  test('compose.exclude removes codes from the matches', async () => {
    expect(await ids(`/Observation?code:in=${enc('http://example.org/ValueSet/vitals-but-temp')}`)).toEqual(['o-heart', 'o-resp']);
    expect(await ids(`/Observation?code:not-in=${enc('http://example.org/ValueSet/vitals-but-temp')}`)).toEqual(['o-sct', 'o-temp']);
  });

  test('include.valueSet is intersected with include.system, not united', async () => {
    expect(await ids(`/Observation?code:in=${enc('http://example.org/ValueSet/vitals-and-heart')}`)).toEqual(['o-heart']);
  });

  test('a whole external system matches by system', async () => {
    expect(await ids(`/Observation?code:in=${enc('http://example.org/ValueSet/all-snomed')}`)).toEqual(['o-sct']);
  });

  test('a ValueSet that includes itself answers 400 at once, and the server goes on answering', async () => {
    const res = await server.fetch(`/Observation?code:in=${enc('http://example.org/ValueSet/self')}`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toContain('includes itself');
    const cycle = await server.fetch(`/Observation?code:in=${enc('http://example.org/ValueSet/ping')}`);
    expect(cycle.status).toBe(400);
    expect(cycle.body.issue[0].diagnostics).toContain('http://example.org/ValueSet/ping -> http://example.org/ValueSet/pong -> http://example.org/ValueSet/ping');
    expect(await ids('/Observation?code=8867-4')).toEqual(['o-heart']);
  });

  test('an expansion beyond the size limit answers 400 too-costly', async () => {
    const res = await server.fetch(`/Observation?code:in=${enc('http://example.org/ValueSet/big')}`);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].code).toBe('too-costly');
  });

  test('an unknown ValueSet answers 400 naming it', async () => {
    const res = await server.fetch(`/Observation?code:in=${enc('http://example.org/ValueSet/nowhere')}`);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toContain('http://example.org/ValueSet/nowhere');
  });
});
