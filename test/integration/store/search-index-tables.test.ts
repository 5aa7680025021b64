/**
 * The index rows each search-parameter type writes (store/search/types/) fit the tables the
 * migrations in sql/ create: a type added without its migration, or with a column of another
 * name or type, fails here rather than on the first resource written.
 */
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/store/database';
import { migrate } from '../../../src/store/migrate';
import { SEARCH_TYPE_STORAGE } from '../../../src/store/search/types';
import { createTestDatabase, dropTestDatabase, TEST_DATABASE_URL } from '../../support/test-server';
import { rawDatabase } from '../../support/raw-database';

let database: Database;
let databaseUrl: string | undefined;

beforeAll(async () => {
  databaseUrl = TEST_DATABASE_URL ? await createTestDatabase() : undefined;
  database = await openDatabase({ databaseUrl, pgliteDir: 'memory://', poolSize: 1 });
  await migrate(database);
});

afterAll(async () => {
  await database.close();
  if (databaseUrl !== undefined) await dropTestDatabase(databaseUrl);
});

test('every search-parameter type has its index table, with the columns and SQL types its rows are written with', async () => {
  for (const [type, storage] of Object.entries(SEARCH_TYPE_STORAGE)) {
    const { rows } = await sql<{ column_name: string; udt_name: string }>`
      select column_name, udt_name from information_schema.columns
      where table_schema = current_schema() and table_name = ${storage.rows.table}`.execute(rawDatabase(database));
    const columns = Object.fromEntries(rows.map((r) => [r.column_name, r.udt_name]));
    const written = Object.fromEntries([
      ['rid', 'int8'],
      ['resource_type', 'text'],
      ['param', 'text'],
      ...storage.rows.columns.map(([name, sqlType]) => [name, sqlType]),
    ]);
    expect({ type, columns: Object.fromEntries(Object.keys(written).map((name) => [name, columns[name]])) }).toEqual({ type, columns: written });
  }
});
