import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/database';
import { databaseHandle } from '../../src/store/database-handle';
import type { DatabaseSchema } from '../../src/store/schema';

/**
 * The query handle of a test's database, for tests that check or prepare database state
 * directly (rows, statistics, prepared statements, query plans). The server's own code reaches
 * it only inside src/store/; tests take it from here.
 */
export function rawDatabase(database: Database): Kysely<DatabaseSchema> {
  return databaseHandle(database);
}
