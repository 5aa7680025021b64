/**
 * sql/010: large resource content is compressed with lz4 on PostgreSQL; PGlite, built without
 * lz4, keeps pglz. Either way the resource reads back as it was written.
 */
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../../support/test-server';
import { rawDatabase } from '../../support/raw-database';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

test('a large resource is stored compressed (lz4 on PostgreSQL, pglz on PGlite) and reads back unchanged', async () => {
  const words = Array.from({ length: 600 }, (_, i) => `word${i % 37}`).join(' ');
  const patient = {
    resourceType: 'Patient',
    id: 'compressed-content',
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${words}</p></div>` },
    name: [{ family: 'Compressed' }],
  };
  const put = await server.fetch('/Patient/compressed-content', { method: 'PUT', body: JSON.stringify(patient) });
  expect(put.status).toBe(201);

  const rows = await sql<{ method: string | null; size: number; length: number }>`
    select pg_column_compression(content) as method, pg_column_size(content) as size, octet_length(content) as length
    from resource where resource_type = 'Patient' and id = 'compressed-content'`.execute(rawDatabase(server.ctx.database));
  expect(rows.rows).toHaveLength(1);
  const [row] = rows.rows;
  expect(row.method).toBe(server.engine === 'postgres' ? 'lz4' : 'pglz');
  expect(row.size).toBeLessThan(row.length);

  const read = await server.fetch('/Patient/compressed-content');
  expect(read.status).toBe(200);
  expect(read.body.text.div).toBe(patient.text.div);
});
