import { startTestServer, type TestServer } from '../../support/test-server';

const CPT = 'http://www.ama-assn.org/go/cpt';
const SITE = 'https://hospital.example.org/order-codes';
const enc = encodeURIComponent;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
});
afterAll(async () => {
  await server.close();
});

const siteMap = (id: string, targetCode: string) => ({
  resourceType: 'ConceptMap',
  id,
  url: `https://hospital.example.org/ConceptMap/${id}`,
  status: 'active',
  group: [{ source: SITE, target: CPT, element: [{ code: 'SPINE-42', display: 'Lumbar foraminotomy', target: [{ code: targetCode, equivalence: 'equivalent' }] }] }],
});

const ids = async (query: string): Promise<string[]> => {
  const res = await server.fetch(query);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).filter((e: any) => e.search?.mode === 'match').map((e: any) => e.resource.id).sort();
};

const siteCode = enc(`${SITE}|SPINE-42`);

describe('a site ConceptMap makes its codes find the library, with no restart or reindex', () => {
  test('before the map, the site code finds nothing', async () => {
    for (const type of ['PlanDefinition', 'DocumentReference', 'Questionnaire']) expect(await ids(`/${type}?procedure=${siteCode}`)).toEqual([]);
  });

  test('after it is posted, every type finds the material; deleted, none does', async () => {
    const created = await server.fetch('/ConceptMap', { method: 'POST', body: JSON.stringify(siteMap('site-spine', '63047')) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(await ids(`/PlanDefinition?procedure=${siteCode}`)).toEqual(['foraminotomy']);
    expect(await ids(`/Questionnaire?procedure=${siteCode}`)).toEqual(['foraminotomy-preop']);
    const docs = await ids(`/DocumentReference?procedure=${siteCode}`);
    expect(docs).toContain('foraminotomy-handout');
    expect(await ids(`/DocumentReference?procedure=SPINE-42&type=handout`)).toEqual(['foraminotomy-handout']);
    // The library's own codes still match as before.
    expect(await ids(`/PlanDefinition?procedure=${enc(`${CPT}|63047`)}`)).toEqual(['foraminotomy']);

    expect((await server.fetch(`/ConceptMap/${id}`, { method: 'DELETE' })).status).toBeLessThan(300);
    for (const type of ['PlanDefinition', 'DocumentReference', 'Questionnaire']) expect(await ids(`/${type}?procedure=${siteCode}`)).toEqual([]);
  });

  test('an update that retargets the map takes effect at once', async () => {
    const put = (body: any) => server.fetch(`/ConceptMap/${body.id}`, { method: 'PUT', body: JSON.stringify(body) });
    expect((await put(siteMap('site-retarget', '63047'))).status).toBe(201);
    expect(await ids(`/PlanDefinition?procedure=${siteCode}`)).toEqual(['foraminotomy']);
    expect((await put(siteMap('site-retarget', '99999'))).status).toBe(200);
    expect(await ids(`/PlanDefinition?procedure=${siteCode}`)).toEqual([]);
    await server.fetch('/ConceptMap/site-retarget', { method: 'DELETE' });
  });

  test('a map onto codes the library does not use changes nothing', async () => {
    const created = await server.fetch('/ConceptMap', { method: 'POST', body: JSON.stringify(siteMap('site-other', '27447')) });
    expect(created.status).toBe(201);
    expect(await ids(`/PlanDefinition?procedure=${siteCode}`)).toEqual([]);
    expect(await ids(`/PlanDefinition?procedure=${enc(`${CPT}|27447`)}`)).toEqual([]);
    expect(await ids(`/PlanDefinition?procedure=${enc(`${CPT}|63047`)}`)).toEqual(['foraminotomy']);
    await server.fetch(`/ConceptMap/${created.body.id}`, { method: 'DELETE' });
  });

  test('an unmatched or disjoint mapping is not followed', async () => {
    const map = siteMap('site-disjoint', '63047');
    map.group[0].element[0].target[0].equivalence = 'disjoint';
    const created = await server.fetch('/ConceptMap', { method: 'POST', body: JSON.stringify(map) });
    expect(created.status).toBe(201);
    expect(await ids(`/PlanDefinition?procedure=${siteCode}`)).toEqual([]);
    await server.fetch(`/ConceptMap/${created.body.id}`, { method: 'DELETE' });
  });
});
