/**
 * Paging by links (R4 search.html#paging and http.html#paging): next / previous / self /
 * first stay exact while resources are written between pages — keyset cursors, so no page
 * skips or repeats a resource whose sort key did not change.
 */
import type { Resource } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import { link, putAll, search, walkPages } from './search-helpers';

let server: TestServer;

const pad = (n: number) => String(n).padStart(3, '0');

function pager(id: string, birthDate: string, family = 'Pager'): Resource {
  return { resourceType: 'Patient', id, name: [{ family }], birthDate } as Resource;
}

beforeAll(async () => {
  server = await startTestServer();
  const resources: Resource[] = [];
  // 45 patients; birthdates repeat every 5 so sorting by birthdate has many ties.
  for (let i = 0; i < 45; i++) resources.push(pager(`pg-${pad(i * 2)}`, `19${50 + (i % 5)}-01-01`));
  await putAll(server, resources);
});

afterAll(async () => {
  await server.close();
});

function walk(first: string, between?: (pageNumber: number) => Promise<void>): Promise<string[][]> {
  return walkPages(server, first, { maxPages: 50, between });
}

test('next links visit every match once, in order, and stop at the last page', async () => {
  const pages = await walk('Patient?family=pager&_count=10');
  expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 5]);
  const ids = pages.flat();
  expect(ids).toEqual([...ids].sort());
  expect(new Set(ids).size).toBe(45);
});

test('writes between pages: no skips and no repeats of resources present throughout', async () => {
  const original = Array.from({ length: 45 }, (_, i) => `pg-${pad(i * 2)}`);
  const deleted = 'pg-080';
  const pages = await walk('Patient?family=pager&_count=10', async (pageNumber) => {
    // Before the cursor, after it, updates to seen and unseen resources, and a delete ahead.
    await putAll(server, [
      pager(`pg-${pad(pageNumber * 20 - 15)}`, '1960-01-01'),
      pager(`pg-${pad(200 + pageNumber)}`, '1960-01-01'),
      { ...pager('pg-000', '1950-01-01'), gender: 'female' } as Resource,
      { ...pager('pg-088', '1953-01-01'), gender: pageNumber % 2 === 0 ? 'male' : 'female' } as Resource,
    ]);
    if (pageNumber === 1) expect((await server.fetch(`/Patient/${deleted}`, { method: 'DELETE' })).status).toBe(204);
  });
  const ids = pages.flat();
  expect(ids.length).toBe(new Set(ids).size);
  for (const id of original.filter((o) => o !== deleted)) expect({ id, seen: ids.includes(id) }).toEqual({ id, seen: true });
  expect(ids).not.toContain(deleted);
  // resources created ahead of the cursor are found, those behind it are not repeated pages
  expect(ids).toContain('pg-201');
  await putAll(server, [pager(deleted, '1950-01-01')]);
});

test('paging on a sort key with many ties is exact', async () => {
  const all = (await search(server, 'Patient?family=pager&_sort=-birthdate,_id&_count=500')).matches;
  const pages = await walk('Patient?family=pager&_sort=-birthdate,_id&_count=7');
  expect(pages.flat()).toEqual(all.map((m) => m.split('/')[1]));
  const byBirthdate = await walk('Patient?family=pager&_sort=birthdate&_count=4');
  const flat = byBirthdate.flat();
  expect(new Set(flat).size).toBe(flat.length);
  expect(flat.length).toBe(all.length);
  const byLastUpdated = (await walk('Patient?family=pager&_sort=-_lastUpdated&_count=6')).flat();
  expect(byLastUpdated).toEqual((await search(server, 'Patient?family=pager&_sort=-_lastUpdated&_count=500')).matches.map((m) => m.split('/')[1]));
});

test('previous, self and first links lead to the pages they name', async () => {
  const first = await search(server, 'Patient?family=pager&_count=10&_sort=_id');
  expect(link(server, first.bundle, 'previous')).toBeUndefined();
  const secondUrl = link(server, first.bundle, 'next')!;
  const second = await search(server, secondUrl);
  expect(second.matches[0] > first.matches[9]).toBe(true);
  const third = await search(server, link(server, second.bundle, 'next')!);

  const backToSecond = await search(server, link(server, third.bundle, 'previous')!);
  expect(backToSecond.matches).toEqual(second.matches);
  const backToFirst = await search(server, link(server, backToSecond.bundle, 'previous')!);
  expect(backToFirst.matches).toEqual(first.matches);
  expect(link(server, backToFirst.bundle, 'previous')).toBeUndefined();
  expect(link(server, backToFirst.bundle, 'next')).toBeDefined();

  expect((await search(server, link(server, second.bundle, 'self')!)).matches).toEqual(second.matches);
  expect((await search(server, link(server, third.bundle, 'first')!)).matches).toEqual(first.matches);
  // the links keep the search's own parameters
  expect(link(server, second.bundle, 'next')).toContain('family=pager');
  expect(link(server, second.bundle, 'next')).toContain('_count=10');
});

test('a cursor from another sort is refused with a 400, not a 500', async () => {
  const page = await search(server, 'Patient?family=pager&_count=5&_sort=birthdate');
  const next = link(server, page.bundle, 'next')!;
  const cursor = new URLSearchParams(next.split('?')[1]).get('_cursor')!;
  const response = await server.fetch(`/Patient?family=pager&_count=5&_cursor=${cursor}`);
  expect(response.status).toBe(400);
  expect(response.body.resourceType).toBe('OperationOutcome');
});

test('a tampered cursor is refused with a 400, not a 500', async () => {
  const forged = Buffer.from(JSON.stringify({ k: ['false', 'not-a-date', 'x', '1'], b: 0 })).toString('base64url');
  const response = await server.fetch(`/Patient?family=pager&_sort=birthdate&_cursor=${forged}`);
  expect(response.status).toBe(400);
  expect(response.body.resourceType).toBe('OperationOutcome');
  const nonNumeric = Buffer.from(JSON.stringify({ k: ['pg-000', 'abc'], b: 0 })).toString('base64url');
  expect((await server.fetch(`/Patient?family=pager&_cursor=${nonNumeric}`)).status).toBe(400);
});
