/**
 * A coordinator's task queue paged by `next` (R4 search.html#paging): every matching Task
 * exactly once, in `_sort=-_lastUpdated` order with ties broken the same way on every page,
 * whether the search collects its matches first (up to COLLECTED_MATCHES_LIMIT) or, past that,
 * runs as one plain query. `_summary=count` counts the same resources.
 */
import type { Resource } from 'fhir/r4';
import { sql } from 'kysely';
import { COLLECTED_MATCHES_LIMIT } from '../../../src/store/search/search-query';
import { startTestServer, type TestServer } from '../../support/test-server';
import { link, putAll, search, walkPages } from './search-helpers';
import { rawDatabase } from '../../support/raw-database';

let server: TestServer;

const pad = (n: number) => String(n).padStart(3, '0');

function task(id: string, owner: string, status: string): Resource {
  return {
    resourceType: 'Task',
    id,
    status,
    intent: 'order',
    owner: { reference: `Practitioner/${owner}` },
  } as Resource;
}

function walk(first: string): Promise<string[][]> {
  return walkPages(server, first, { maxPages: 200 });
}

/** The queue in the order R4 asks for, computed here from what was stored. */
async function expectedQueue(owner: string): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select r.id from resource r
    where r.resource_type = 'Task' and not r.deleted
      and r.content::jsonb #>> '{owner,reference}' = ${`Practitioner/${owner}`}
      and r.content::jsonb ->> 'status' = 'requested'
    order by r.last_updated desc, r.id desc, r.rid desc`.execute(rawDatabase(server.ctx.database));
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  server = await startTestServer();
  // The owners the Tasks refer to, stored first (referential integrity on write).
  const resources: Resource[] = ['coordinator', 'other'].map((id) => ({ resourceType: 'Practitioner', id }) as Resource);
  for (let i = 0; i < 60; i++) {
    // Most requested; some other statuses and another owner's Tasks interleaved.
    const status = i % 5 === 3 ? 'completed' : i % 7 === 4 ? 'in-progress' : 'requested';
    resources.push(task(`q-${pad(i)}`, i % 4 === 1 ? 'other' : 'coordinator', status));
  }
  await putAll(server, resources);
  // Ties in _lastUpdated, as a transaction's writes have: groups of Tasks with one instant.
  await sql`update resource set last_updated = timestamptz '2026-01-01T00:00:00Z' + ((substr(id, 3)::int / 6) * interval '1 second')
    where resource_type = 'Task' and id like 'q-%'`.execute(rawDatabase(server.ctx.database));
  expect((await server.fetch('/Task/q-010', { method: 'DELETE' })).status).toBe(204);
}, 120_000);

afterAll(async () => {
  await server.close();
});

test('next links give every queued Task exactly once, in order, across pages with ties in _lastUpdated', async () => {
  const expected = await expectedQueue('coordinator');
  expect(expected.length).toBeGreaterThan(25);
  expect(expected).not.toContain('q-010');
  for (const count of [1, 4, 7, 50]) {
    const pages = await walk(`Task?owner=Practitioner/coordinator&status=requested&_sort=-_lastUpdated&_count=${count}`);
    expect({ count, ids: pages.flat() }).toEqual({ count, ids: expected });
    expect(pages.slice(0, -1).every((p) => p.length === count)).toBe(true);
  }
  const total = await server.fetch('/Task?owner=Practitioner/coordinator&status=requested&_summary=count');
  expect(total.body.total).toBe(expected.length);
});

test('previous links lead back through the same pages of the queue', async () => {
  const first = await search(server, 'Task?owner=Practitioner/coordinator&status=requested&_sort=-_lastUpdated&_count=5');
  const second = await search(server, link(server, first.bundle, 'next')!);
  const third = await search(server, link(server, second.bundle, 'next')!);
  expect((await search(server, link(server, third.bundle, 'previous')!)).matches).toEqual(second.matches);
  expect((await search(server, link(server, second.bundle, 'previous')!)).matches).toEqual(first.matches);
});

test('more matches than are collected: the plain query pages them the same way', async () => {
  const db = rawDatabase(server.ctx.database);
  const n = COLLECTED_MATCHES_LIMIT + 37;
  await sql`
    insert into resource (resource_type, id, version_id, last_updated, content)
    select 'Task', 'bulk-' || lpad(g::text, 5, '0'), 1, timestamptz '2025-01-01T00:00:00Z' + (g / 3) * interval '1 second',
           '{"resourceType":"Task","id":"bulk-' || lpad(g::text, 5, '0') || '","status":"requested","intent":"order"}'
    from generate_series(1, ${n}) g`.execute(db);
  await sql`
    insert into idx_token (rid, resource_type, param, system, code)
    select r.rid, 'Task', 'status', 'http://hl7.org/fhir/task-status', 'requested' from resource r where r.id like 'bulk-%'`.execute(db);
  await sql`analyze`.execute(db);
  const { rows } = await sql<{ id: string }>`select id from resource where id like 'bulk-%'
    order by last_updated desc, id desc, rid desc`.execute(db);
  const pages = await walk('Task?status=requested&_sort=-_lastUpdated&_count=1000');
  const bulk = pages.flat().filter((id) => id.startsWith('bulk-'));
  expect(bulk.length).toBe(n);
  expect(bulk).toEqual(rows.map((r) => r.id));
  expect(new Set(pages.flat()).size).toBe(pages.flat().length);
  const total = await server.fetch('/Task?status=requested&_summary=count');
  expect(total.body.total).toBe(pages.flat().length);
}, 120_000);
