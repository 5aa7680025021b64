/**
 * A site's own order codes reach the CDS Hooks cards through a ConceptMap posted over the FHIR
 * API, at once, and stop doing so once it is deleted: the plans the service keeps per set of
 * order codes are dropped on every library write (docs/cds-hooks.md "Caching").
 */
import { startTestServer, type TestServer } from '../../support/test-server';
import { BASE_URL, CPT, hookRequest, SELECT, serviceRequest, SIGN } from './cds-helpers';

const SITE = 'https://hospital.example.org/order-codes';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { AUTH: 'off', BASE_URL, LOAD_CONTENT: 'true', RATE_LIMIT_PER_MINUTE: '0' } });
});
afterAll(async () => {
  await server.close();
});

async function cardsFor(hook: 'order-select' | 'order-sign', code: string): Promise<{ summary: string; links: { url: string }[] }[]> {
  const order = serviceRequest('sr-site', code, { occurrenceDateTime: '2027-03-10' }, SITE);
  const body = hookRequest(hook, [order], hook === 'order-select' ? ['ServiceRequest/sr-site'] : undefined);
  const res = await server.fetch(`${server.origin}${hook === 'order-select' ? SELECT : SIGN}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  expect(res.status).toBe(200);
  return res.body.cards;
}

test('a site ConceptMap posted over HTTP makes the site code give the card; deleting it takes the card away', async () => {
  // Asked before the map exists: no card (and the empty answer must not outlive the map's creation).
  expect(await cardsFor('order-select', 'SPINE-77')).toEqual([]);
  expect(await cardsFor('order-sign', 'SPINE-77')).toEqual([]);

  const created = await server.fetch('/ConceptMap', {
    method: 'POST',
    body: JSON.stringify({
      resourceType: 'ConceptMap',
      status: 'active',
      url: 'https://hospital.example.org/fhir/ConceptMap/cds-order-codes',
      group: [{ source: SITE, target: CPT, element: [{ code: 'SPINE-77', target: [{ code: '63047', equivalence: 'equivalent' }] }] }],
    }),
  });
  expect(created.status).toBe(201);

  const select = await cardsFor('order-select', 'SPINE-77');
  expect(select).toHaveLength(1);
  expect(select[0].summary).toMatch(/^Patient education for foraminotomy/);
  expect(select[0].links[0].url).toMatch(/\/education\/foraminotomy$/);
  expect(await cardsFor('order-sign', 'SPINE-77')).toHaveLength(1);
  // Another code of the site stays unmapped.
  expect(await cardsFor('order-select', 'SPINE-78')).toEqual([]);

  expect((await server.fetch(`/ConceptMap/${created.body.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
  expect(await cardsFor('order-select', 'SPINE-77')).toEqual([]);
  expect(await cardsFor('order-sign', 'SPINE-77')).toEqual([]);
});
