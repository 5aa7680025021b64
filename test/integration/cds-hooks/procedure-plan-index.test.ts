/**
 * The index the CDS Hooks service matches order codes with agrees with the search it stands for,
 * `PlanDefinition?procedure=system|code&status=active`, on every procedure code of the library
 * and on a site code that a ConceptMap maps onto the library (while the map exists, and after
 * it is deleted).
 */
import type { Bundle, Coding } from 'fhir/r4';
import { CdsHooksStore } from '../../../src/store/cds-hooks-store';
import { ProcedurePlanIndex } from '../../../src/web/cds-hooks/procedure-plan-index';
import { escapeValue } from '../../../src/fhir/search/escaping';
import { startTestServer, type TestServer } from '../../support/test-server';
import { BASE_URL, CPT, siteConceptMap } from './cds-helpers';

const SITE = 'https://hospital.example.org/order-codes';

let server: TestServer;
let store: CdsHooksStore;

beforeAll(async () => {
  server = await startTestServer({ env: { AUTH: 'off', BASE_URL, LOAD_CONTENT: 'true', RATE_LIMIT_PER_MINUTE: '0' } });
  store = new CdsHooksStore(server.ctx.database);
});
afterAll(async () => {
  await server.close();
});

async function searched(coding: Coding): Promise<string[]> {
  const value = encodeURIComponent(`${escapeValue(coding.system!)}|${escapeValue(coding.code!)}`);
  const res = await server.fetch(`/PlanDefinition?procedure=${value}&status=active&_count=100&_elements=id`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!);
}

test('the index finds the plans the procedure search finds, for every procedure code of the library', async () => {
  const index = await ProcedurePlanIndex.load(store);
  const codings = index.codings();
  expect(codings.length).toBeGreaterThan(0);
  for (const coding of codings) {
    expect({ coding, ids: index.planIds([coding]) }).toEqual({ coding, ids: await searched(coding) });
  }
  // A code no plan has finds nothing either way.
  const unknown = { system: CPT, code: '00000-none' };
  expect(index.planIds([unknown])).toEqual([]);
  expect(await searched(unknown)).toEqual([]);
});

test('a site code mapped by a ConceptMap finds the same plans in the index and the search, and nothing once the map is deleted', async () => {
  const site = { system: SITE, code: 'SPINE-77' };
  const created = await server.fetch('/ConceptMap', {
    method: 'POST',
    body: JSON.stringify(siteConceptMap(SITE, 'https://hospital.example.org/fhir/ConceptMap/index-order-codes')),
  });
  expect(created.status).toBe(201);
  const mapped = await ProcedurePlanIndex.load(store);
  const ids = await searched(site);
  expect(ids).toContain('foraminotomy');
  expect(mapped.planIds([site])).toEqual(ids);
  expect(mapped.planIds([site])).toEqual(mapped.planIds([{ system: CPT, code: '63047' }]));

  expect((await server.fetch(`/ConceptMap/${created.body.id}`, { method: 'DELETE' })).status).toBeLessThan(300);
  expect((await ProcedurePlanIndex.load(store)).planIds([site])).toEqual([]);
  expect(await searched(site)).toEqual([]);
});
