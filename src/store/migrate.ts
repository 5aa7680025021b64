import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from './schema';

/** Any constant shared by every instance: it names the lock that serialises migrations. */
const MIGRATION_LOCK_KEY = 7_390_007;

export const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'sql');

export async function listMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readdir(dir);
  return files.filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
}

/**
 * Applies the numbered plain-SQL files of sql/ in order, each in its own transaction,
 * recording each in schema_migration. A session-level advisory lock makes a second
 * instance starting at the same moment wait, then find the work done.
 */
export async function migrate(db: Kysely<DatabaseSchema>, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = await listMigrations(dir);
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(connection);
    try {
      await sql`create table if not exists schema_migration (
        name text primary key,
        applied_at timestamptz not null default now()
      )`.execute(connection);
      const done = new Set(
        (await connection.selectFrom('schema_migration').select('name').execute()).map((r) => r.name),
      );
      const applied: string[] = [];
      for (const file of files) {
        if (done.has(file)) continue;
        const script = await readFile(path.join(dir, file), 'utf8');
        await connection.transaction().execute(async (trx) => {
          // No statement timeout for a migration: building an index on a large store takes
          // minutes (migration 006 on a 1M-resource store hit the pool's 30 s timeout).
          await sql`set local statement_timeout = 0`.execute(trx);
          await sql.raw(script).execute(trx);
          await trx.insertInto('schema_migration').values({ name: file }).execute();
        });
        applied.push(file);
      }
      return applied;
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(connection);
    }
  });
}

/** True when every file of sql/ is recorded as applied. */
export async function migrationsAreApplied(db: Kysely<DatabaseSchema>, dir = MIGRATIONS_DIR): Promise<boolean> {
  const files = await listMigrations(dir);
  const rows = await db.selectFrom('schema_migration').select('name').execute();
  const done = new Set(rows.map((r) => r.name));
  return files.every((f) => done.has(f));
}
