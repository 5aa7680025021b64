/**
 * PGLITE_SHARED_BUFFERS_MB: PGlite ignores `-c shared_buffers`, so the store sets it with ALTER
 * SYSTEM on a data directory and restarts PGlite once; the directory keeps it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../../src/store/database';
import { rawDatabase } from '../../support/raw-database';

async function sharedBuffers(database: Database): Promise<string> {
  const result = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(rawDatabase(database));
  return result.rows[0].shared_buffers;
}

test('a PGlite data directory gets the configured shared_buffers, keeps it and its data across restarts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pglite-buffers-'));
  try {
    const first = await openDatabase({ databaseUrl: undefined, pgliteDir: dir, poolSize: 1, pgliteSharedBuffersMb: 16 });
    try {
      expect(await sharedBuffers(first)).toBe('16MB');
      await sql`create table kept (v text)`.execute(rawDatabase(first));
      await sql`insert into kept values ('still here')`.execute(rawDatabase(first));
    } finally {
      await first.close();
    }
    expect(await readFile(path.join(dir, 'postgresql.auto.conf'), 'utf8')).toContain("shared_buffers = '16MB'");

    const second = await openDatabase({ databaseUrl: undefined, pgliteDir: dir, poolSize: 1, pgliteSharedBuffersMb: 24 });
    try {
      expect(await sharedBuffers(second)).toBe('24MB');
      const rows = await sql<{ v: string }>`select v from kept`.execute(rawDatabase(second));
      expect(rows.rows).toEqual([{ v: 'still here' }]);
    } finally {
      await second.close();
    }

    // 0 leaves the directory as it is.
    const third = await openDatabase({ databaseUrl: undefined, pgliteDir: dir, poolSize: 1, pgliteSharedBuffersMb: 0 });
    try {
      expect(await sharedBuffers(third)).toBe('24MB');
    } finally {
      await third.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // Three openings of a data directory, the first running initdb: minutes on a loaded machine.
}, 240_000);

test('a memory:// database keeps PGlite’s default: it cannot be restarted without losing its data', async () => {
  const database = await openDatabase({ databaseUrl: undefined, pgliteDir: 'memory://', poolSize: 1, pgliteSharedBuffersMb: 16 });
  try {
    expect(await sharedBuffers(database)).toBe('128MB');
  } finally {
    await database.close();
  }
});
