import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * A transaction Bundle writes its resources buffered (multi-row statements, flushed before any
 * read that could see them and before the commit): these tests pin that the outcome is the one
 * of writing entry by entry — versions, history, index rows, rollback, conflicts.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

const SYSTEM = 'urn:test:batched';
const postBundle = (bundle: unknown) => server.fetch('/', { method: 'POST', body: JSON.stringify(bundle) });
const transaction = (entry: unknown[]) => postBundle({ resourceType: 'Bundle', type: 'transaction', entry });
const put = (resource: { resourceType: string; id: string }) => ({
  resource,
  request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
});

function patient(id: string, family: string, extra: Record<string, unknown> = {}) {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ system: SYSTEM, value: id }],
    name: [{ family, given: ['Bea'] }],
    gender: 'female',
    birthDate: '1971-05-06',
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">Narrative of ${family}</div>` },
    ...extra,
  };
}

const total = async (query: string): Promise<number> => {
  const r = await server.fetch(`${query}${query.includes('?') ? '&' : '?'}_summary=count`);
  expect(r.status).toBe(200);
  return r.body.total;
};

describe('a transaction of many PUTs', () => {
  test('mixed create, update and unchanged give the right versions, history and index rows', async () => {
    const first = await transaction(Array.from({ length: 30 }, (_, i) => put(patient(`bw-${i}`, `Firstname${i % 3}`))));
    expect(first.status).toBe(200);
    expect(first.body.entry.map((e: any) => e.response.status)).toEqual(Array(30).fill('201 Created'));
    expect(first.body.entry.map((e: any) => e.response.etag)).toEqual(Array(30).fill('W/"1"'));

    // 0-9 unchanged, 10-19 renamed, 20-29 are new ids.
    const second = await transaction([
      ...Array.from({ length: 10 }, (_, i) => put(patient(`bw-${i}`, `Firstname${i % 3}`))),
      ...Array.from({ length: 10 }, (_, i) => put(patient(`bw-${10 + i}`, 'Renamed'))),
      ...Array.from({ length: 10 }, (_, i) => put(patient(`bw-new-${i}`, 'Newcomer', { gender: 'male' }))),
    ]);
    expect(second.status).toBe(200);
    const statuses = second.body.entry.map((e: any) => e.response.status);
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill('200 OK'));
    expect(statuses.slice(20)).toEqual(Array(10).fill('201 Created'));
    expect(second.body.entry.slice(0, 10).map((e: any) => e.response.etag)).toEqual(Array(10).fill('W/"1"'));
    expect(second.body.entry.slice(0, 10).every((e: any) => e.response.outcome)).toBe(true);
    expect(second.body.entry.slice(10, 20).map((e: any) => e.response.etag)).toEqual(Array(10).fill('W/"2"'));
    expect(second.body.entry.slice(10).some((e: any) => e.response.outcome)).toBe(false);

    const unchanged = await server.fetch('/Patient/bw-3/_history');
    expect(unchanged.body.total).toBe(1);
    const renamed = await server.fetch('/Patient/bw-13/_history');
    expect(renamed.body.total).toBe(2);
    expect((await server.fetch('/Patient/bw-13/_history/1')).body.name[0].family).toBe('Firstname1');
    expect((await server.fetch('/Patient/bw-13')).body.meta.versionId).toBe('2');

    // Index rows follow the current version only: string, token, full text.
    expect(await total('/Patient?family=Renamed')).toBe(10);
    // bw-1, 4, 7, 22, 25, 28: bw-10, 13, 16 and 19 were renamed, their old rows are gone.
    expect(await total('/Patient?family:exact=Firstname1')).toBe(6);
    expect(await total(`/Patient?identifier=${SYSTEM}|bw-13`)).toBe(1);
    expect(await total('/Patient?gender=male&family=Newcomer')).toBe(10);
    expect(await total('/Patient?_text=Renamed')).toBe(10);
    expect(await total('/Patient?_content=Firstname1')).toBe(6);
    expect(await total('/Patient?birthdate=1971-05-06&family=Newcomer')).toBe(10);
  });

  test('the same resource twice in one transaction gets two versions, the last one current', async () => {
    const res = await transaction([put(patient('bw-twice', 'Once')), put(patient('bw-twice', 'Twice'))]);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.etag)).toEqual(['W/"1"', 'W/"2"']);
    expect((await server.fetch('/Patient/bw-twice')).body.name[0].family).toBe('Twice');
    expect((await server.fetch('/Patient/bw-twice/_history')).body.total).toBe(2);
    expect(await total('/Patient?family=Once')).toBe(0);
    expect(await total('/Patient?family=Twice')).toBe(1);
  });

  test('a failing entry in the middle leaves nothing behind and is located', async () => {
    await transaction([put(patient('bw-keep', 'Keeper'))]);
    const entries = Array.from({ length: 20 }, (_, i) => put(patient(`bw-fail-${i}`, 'Doomed')));
    entries[7] = put(patient('bw-keep', 'Changed'));
    entries[11] = put(patient('bw-fail-11', 'Doomed', { gender: 'tomato' }));
    const res = await transaction(entries);
    expect(res.status).toBe(422);
    expect(res.body.issue.some((i: any) => i.expression?.some((e: string) => e.startsWith('Bundle.entry[11].')))).toBe(true);
    expect(await total('/Patient?family=Doomed')).toBe(0);
    expect((await server.fetch('/Patient/bw-fail-0')).status).toBe(404);
    const kept = await server.fetch('/Patient/bw-keep');
    expect(kept.body.name[0].family).toBe('Keeper');
    expect(kept.body.meta.versionId).toBe('1');
    expect((await server.fetch('/Patient/bw-keep/_history')).body.total).toBe(1);
    expect(await total('/Patient?family=Changed')).toBe(0);
  });

  test('If-Match on a buffered PUT: a wrong version fails the whole transaction with 412', async () => {
    await transaction([put(patient('bw-match', 'Matched'))]);
    const res = await transaction([
      put(patient('bw-match-other', 'Other')),
      { ...put(patient('bw-match', 'Matched again')), request: { method: 'PUT', url: 'Patient/bw-match', ifMatch: 'W/"7"' } },
    ]);
    expect(res.status).toBe(412);
    expect(res.body.issue[0].expression[0]).toMatch(/^Bundle\.entry\[1\]/);
    expect((await server.fetch('/Patient/bw-match-other')).status).toBe(404);
    const ok = await transaction([
      { ...put(patient('bw-match', 'Matched again')), request: { method: 'PUT', url: 'Patient/bw-match', ifMatch: 'W/"1"' } },
    ]);
    expect(ok.status).toBe(200);
    expect(ok.body.entry[0].response.etag).toBe('W/"2"');
  });

  test('DELETE, then POST, then PUT, then GET: each sees the writes before it', async () => {
    await transaction([put(patient('bw-gone', 'Leaving')), put(patient('bw-back', 'Returning'))]);
    await server.fetch('/Patient/bw-back', { method: 'DELETE' });
    const res = await transaction([
      { request: { method: 'GET', url: `Patient?identifier=${SYSTEM}|bw-order` } },
      put(patient('bw-order', 'Ordered')),
      put(patient('bw-back', 'Returning')),
      { request: { method: 'DELETE', url: 'Patient/bw-gone' } },
      {
        fullUrl: 'urn:uuid:2f0c1c8e-7f57-4d1e-9a55-6a7d3b0c0001',
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'batched' }, subject: { reference: 'Patient/bw-order' } },
        request: { method: 'POST', url: 'Observation' },
      },
    ]);
    expect(res.status).toBe(200);
    // GET runs last: it finds the Patient the PUT wrote in this transaction.
    expect(res.body.entry[0].resource.total ?? res.body.entry[0].resource.entry?.length).toBe(1);
    expect(res.body.entry[2].response.status).toBe('201 Created'); // revived after its deletion
    expect(res.body.entry[2].response.etag).toBe('W/"3"');
    expect(res.body.entry[3].response.status).toBe('204 No Content');
    expect((await server.fetch('/Patient/bw-gone')).status).toBe(410);
    expect(await total('/Patient?family=Leaving')).toBe(0);
    expect(await total('/Patient?family=Returning')).toBe(1);
    expect(await total('/Observation?subject=Patient/bw-order')).toBe(1);
  });
});

describe('buffered and one-by-one writes index alike', () => {
  test('the same resources give the same search results either way', async () => {
    const make = (set: string, i: number) => ({
      resourceType: 'Observation',
      id: `bw-${set}-${i}`,
      status: i % 2 === 0 ? 'final' : 'preliminary',
      identifier: [{ system: `${SYSTEM}:${set}`, value: String(i) }],
      code: { coding: [{ system: 'http://loinc.org', code: i % 3 === 0 ? '8867-4' : '8310-5', display: 'Vital sign' }] },
      subject: { reference: `Patient/bw-${i % 4}` },
      effectivePeriod: { start: `2024-0${1 + (i % 9)}-01T10:00:00Z`, end: `2024-0${1 + (i % 9)}-02T10:00:00Z` },
      valueQuantity: { value: 36 + i / 10, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' },
      note: [{ text: `Reading number ${i} of set` }],
    });
    for (let i = 0; i < 12; i++) {
      const r = await server.fetch(`/Observation/bw-single-${i}`, { method: 'PUT', body: JSON.stringify(make('single', i)) });
      expect(r.status).toBe(201);
    }
    const res = await transaction(Array.from({ length: 12 }, (_, i) => put(make('batched', i))));
    expect(res.status).toBe(200);
    const queries = [
      'status=final',
      'code=http://loinc.org|8867-4',
      'subject=Patient/bw-1',
      'patient=Patient/bw-2',
      'date=ge2024-05-01',
      'date=lt2024-03-01',
      'value-quantity=gt36.5',
      'value-quantity=37|http://unitsofmeasure.org|Cel',
      'code-value-quantity=http://loinc.org|8310-5$gt36.3',
      '_content=Reading',
    ];
    for (const q of queries) {
      const single = await server.fetch(`/Observation?${q}&identifier=${SYSTEM}:single|&_count=100&_sort=_id`);
      const batched = await server.fetch(`/Observation?${q}&identifier=${SYSTEM}:batched|&_count=100&_sort=_id`);
      expect(single.status).toBe(200);
      const ids = (b: any, set: string) => (b.entry ?? []).map((e: any) => e.resource.id.replace(`bw-${set}-`, ''));
      expect([q, ids(batched.body, 'batched')]).toEqual([q, ids(single.body, 'single')]);
    }
  });
});
