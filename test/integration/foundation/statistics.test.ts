import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../../support/test-server';
import { rawDatabase } from '../../support/raw-database';

/**
 * Planner statistics where no autovacuum keeps them (PGlite always; PostgreSQL with
 * `autovacuum = off`, as on this project's CI machine): the server runs ANALYZE after bulk
 * writes, transaction Bundles included. Without it a 1M-resource ingest stalled at 225k, its
 * QuestionnaireResponse hook planning a Task search as if the tables were empty.
 */
let server: TestServer;
let serverAnalyses = true;
beforeAll(async () => {
  server = await startTestServer();
  if (server.engine === 'postgres') {
    const setting = await sql<{ on: boolean }>`select current_setting('autovacuum') = 'on' as on`.execute(
      rawDatabase(server.ctx.database),
    );
    serverAnalyses = setting.rows[0].on === false;
  }
});
afterAll(async () => {
  await server.close();
});

const reltuples = async (): Promise<number> => {
  const result = await sql<{
    n: number;
  }>`select reltuples::float8 as n from pg_class where relname = 'resource'`.execute(rawDatabase(server.ctx.database));
  return Number(result.rows[0].n);
};

test('a transaction Bundle of 600 resources leaves the resource table analysed', async () => {
  // Nothing analysed the fresh table yet: PostgreSQL 14+ reports -1 (PGlite 17 too).
  const before = await reltuples();
  expect(before).toBeLessThan(600);
  const entry = Array.from({ length: 600 }, (_, i) => ({
    resource: { resourceType: 'Patient', id: `stats-${i}`, name: [{ family: `Stats${i}` }] },
    request: { method: 'PUT', url: `Patient/stats-${i}` },
  }));
  const response = await server.fetch('/', {
    method: 'POST',
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
  });
  expect(response.status).toBe(200);
  if (!serverAnalyses) return; // PostgreSQL's autovacuum is on: it analyses on its own schedule
  let after = await reltuples();
  for (let i = 0; i < 150 && after < 600; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await reltuples();
  }
  expect(after).toBeGreaterThanOrEqual(600);
});
