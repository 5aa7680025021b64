import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { Database } from './database';
import { databaseHandle } from './database-handle';

/** Any constant shared by every instance: it names the lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 7_390_007;

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'sql');

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readdir(dir);
  return files.filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
}

/**
 * Applies the numbered plain-SQL files of sql/ in order, each in its own transaction,
 * recording each in schema_migration. Each transaction first takes a transaction-level
 * advisory lock and checks the record, so a second instance starting at the same moment waits,
 * then finds the work done; the lock lives and dies with its transaction, which also holds
 * behind a pooler in transaction mode (PgBouncer), where a session lock would stay behind on
 * whichever server connection took it.
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  const db = databaseHandle(database);
  const files = await listMigrations(dir);
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
    await sql`create table if not exists schema_migration (
      name text primary key,
      applied_at timestamptz not null default now()
    )`.execute(trx);
  });
  const recorded = async () => new Set((await db.selectFrom('schema_migration').select('name').execute()).map((r) => r.name));
  const done = await recorded();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    const script = await readFile(path.join(dir, file), 'utf8');
    const ran = await db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
      // Another instance may have applied it while this one waited for the lock.
      if ((await trx.selectFrom('schema_migration').select('name').where('name', '=', file).executeTakeFirst()) !== undefined) return false;
      // No statement timeout for a migration: building an index on a large store takes
      // minutes (migration 006 on a 1M-resource store hit the pool's 30 s timeout).
      await sql`set local statement_timeout = 0`.execute(trx);
      await sql.raw(script).execute(trx);
      await trx.insertInto('schema_migration').values({ name: file }).execute();
      return true;
    });
    if (ran) applied.push(file);
  }
  return applied;
}

/** True when every file of sql/ is recorded as applied. */
export async function migrationsAreApplied(database: Database, dir = MIGRATIONS_DIR): Promise<boolean> {
  const files = await listMigrations(dir);
  const rows = await databaseHandle(database).selectFrom('schema_migration').select('name').execute();
  const done = new Set(rows.map((r) => r.name));
  return files.every((f) => done.has(f));
}
