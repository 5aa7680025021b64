import { CompiledQuery, sql } from 'kysely';
import { ENGINE, startTestServer, type TestServer } from '../../support/test-server';
import { rawDatabase } from '../../support/raw-database';

/**
 * On PostgreSQL the database dialect sends queries as named prepared statements (src/store/named-statement-dialect.ts):
 * each query shape is parsed once per connection and may keep a generic plan. One pooled
 * connection here, so the statements the HTTP requests prepared are visible to the test's query.
 * PGlite runs in-process, and DATABASE_PREPARED_STATEMENTS=false (behind PgBouncer) turns them
 * off: every statement goes unnamed, the same searches must answer the same, and nothing is left prepared.
 */
const namesStatements = ENGINE === 'postgres' && process.env.DATABASE_PREPARED_STATEMENTS !== 'false';

describe(`prepared statements (${ENGINE}${namesStatements || ENGINE === 'pglite' ? '' : ', turned off'})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { DATABASE_POOL_SIZE: '1' } });
  });
  afterAll(async () => {
    await server.close();
  });

  const prepared = async (): Promise<{ name: string; statement: string }[]> =>
    (await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(rawDatabase(server.ctx.database)))
      .rows;

  const put = (id: string, family: string, gender = 'unknown') =>
    server.fetch(`/Patient/${id}`, { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id, gender, name: [{ family }] }) });
  const ids = (body: { entry?: { resource: { id: string } }[] }) => (body.entry ?? []).map((e) => e.resource.id).sort();

  test('a one-code search is prepared once on PostgreSQL, not at all on PGlite, and answers each bound value correctly', async () => {
    expect((await put('prep-a', 'Alvarez', 'female')).status).toBe(201);
    expect((await put('prep-b', 'Baptiste', 'male')).status).toBe(201);
    for (let i = 0; i < 7; i++) {
      // Past five runs PostgreSQL may switch to a generic plan; the answers must not change.
      expect(ids((await server.fetch('/Patient?gender=female')).body)).toEqual(['prep-a']);
      expect(ids((await server.fetch('/Patient?gender=male')).body)).toEqual(['prep-b']);
    }
    const statements = await prepared();
    const searches = statements.filter((s) => s.statement.includes('from idx_token t where'));
    // Two values, one statement: the values are bound, not in the text.
    expect(searches).toHaveLength(namesStatements ? 1 : 0);
    for (const s of searches) expect(s.statement).not.toContain('female');
  });

  test('searches whose plan depends on their values run unnamed, planned for each execution', async () => {
    expect(ids((await server.fetch('/Patient?family=Alvarez')).body)).toEqual(['prep-a']);
    expect(ids((await server.fetch('/Patient?gender=male&family=Baptiste')).body)).toEqual(['prep-b']);
    expect(ids((await server.fetch('/Patient?_sort=family')).body)).toEqual(['prep-a', 'prep-b']);
    const statements = await prepared();
    expect(statements.filter((s) => s.statement.includes('from idx_string s where'))).toEqual([]);
    expect(statements.filter((s) => /order by/.test(s.statement) && !s.statement.includes('matched'))).toEqual([]);
  });

  test('a write that fails inside a transaction leaves the prepared statements usable', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', id: 'prep-c', name: [{ family: 'Chen' }] }, request: { method: 'PUT', url: 'Patient/prep-c' } },
        { resource: { resourceType: 'Patient', name: [{ family: 'Dube' }] }, request: { method: 'POST', url: 'Patient', ifNoneExist: 'family=' } },
        { resource: { resourceType: 'Patient', id: 'prep-a', name: [{ family: 'Alvarez' }] }, request: { method: 'PUT', url: 'Patient/prep-a', ifMatch: 'W/"99"' } },
      ],
    };
    const failed = await server.fetch('/', { method: 'POST', body: JSON.stringify(bundle) });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.body.resourceType).toBe('OperationOutcome');
    // Nothing of the failed Bundle was kept, and the same shapes still run on the same connection.
    expect((await server.fetch('/Patient/prep-c')).status).toBe(404);
    expect((await server.fetch('/Patient/prep-a')).body.name[0].family).toBe('Alvarez');
    expect((await put('prep-c', 'Chen')).status).toBe(201);
    expect(ids((await server.fetch('/Patient?_id=prep-c')).body)).toEqual(['prep-c']);
  });

  test("a statement PostgreSQL rejects rejects the query with PostgreSQL's error, and the connection runs the next one", async () => {
    const db = rawDatabase(server.ctx.database);
    // Named (a select) and unnamed (led by the custom-plan mark) statements both answer through the client's callback.
    for (const text of ['select 1 / $1::int as quotient', '/* custom plan */ select 1 / $1::int as quotient']) {
      await expect(db.executeQuery(CompiledQuery.raw(text, [0]))).rejects.toMatchObject({ code: '22012' });
      expect((await db.executeQuery(CompiledQuery.raw(text, [1]))).rows).toEqual([{ quotient: 1 }]);
    }
  });

  test('utility statements are not prepared; on PGlite nothing is', async () => {
    const statements = await prepared();
    expect(statements.length > 0).toBe(namesStatements);
    for (const s of statements) expect(s.statement).toMatch(/^\s*(select|with|insert|update|delete)\b/i);
  });
});

describe(`prepared statements off (DATABASE_PREPARED_STATEMENTS=false, as behind PgBouncer in transaction mode; ${ENGINE})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { DATABASE_POOL_SIZE: '1', DATABASE_PREPARED_STATEMENTS: 'false' } });
  });
  afterAll(async () => {
    await server.close();
  });

  test('every statement runs unnamed, and searches, writes and transactions answer as with them', async () => {
    const created = await server.fetch('/Patient/unprep-a', { method: 'PUT', body: JSON.stringify({ resourceType: 'Patient', id: 'unprep-a', gender: 'female' }) });
    expect(created.status).toBe(201);
    for (let i = 0; i < 7; i++) {
      const found = await server.fetch('/Patient?gender=female&_id=unprep-a');
      expect((found.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['unprep-a']);
    }
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Patient', id: 'unprep-b', gender: 'male' }, request: { method: 'PUT', url: 'Patient/unprep-b' } }],
    };
    expect((await server.fetch('/', { method: 'POST', body: JSON.stringify(bundle) })).status).toBe(200);
    expect((await server.fetch('/Patient/unprep-b')).status).toBe(200);
    const statements = await sql<{ name: string }>`select name from pg_prepared_statements`.execute(rawDatabase(server.ctx.database));
    expect(statements.rows).toEqual([]);
  });
});
