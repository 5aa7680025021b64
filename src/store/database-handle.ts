import type { Kysely } from 'kysely';
import type { Database } from './database';
import type { DatabaseSchema } from './schema';

/**
 * The Kysely handle of each open Database. Private to src/store/ (eslint.config.mjs,
 * STORE_PRIVATE): the other layers hold a Database and reach its tables through the store's
 * modules (the Repository for resources), which take the Database and look its handle up here.
 */
const handles = new WeakMap<Database, Kysely<DatabaseSchema>>();

/** Gives a Database its handle (openDatabase does, once). */
export function withDatabaseHandle(database: Database, db: Kysely<DatabaseSchema>): Database {
  handles.set(database, db);
  return database;
}

/** The handle of a Database that openDatabase opened. */
export function databaseHandle(database: Database): Kysely<DatabaseSchema> {
  const db = handles.get(database);
  if (db === undefined) throw new Error('This Database was not opened by openDatabase');
  return db;
}
