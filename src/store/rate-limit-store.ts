import { sql } from 'kysely';
import type { Database } from './database';
import { databaseHandle } from './database-handle';

export interface RateLimitHits {
  key: string;
  /** The calendar minute (milliseconds since the epoch / 60 000). */
  window: number;
  hits: number;
}

/** Adds hits to the per-minute counters of several keys at once; answers each key's total for its window. */
export async function addRateLimitHits(database: Database, rows: RateLimitHits[]): Promise<Map<string, number>> {
  const result = await sql<{ key: string; hits: number }>`
    insert into rate_limit_counter (key, window_start, hits)
    select * from unnest(${rows.map((r) => r.key)}::text[], ${rows.map((r) => r.window)}::bigint[], ${rows.map((r) => r.hits)}::int[])
    on conflict (key, window_start) do update set hits = rate_limit_counter.hits + excluded.hits
    returning key, hits`.execute(databaseHandle(database));
  return new Map(result.rows.map((r) => [r.key, Number(r.hits)]));
}

/** Forgets the counters of windows before this one. */
export async function dropRateLimitWindowsBefore(database: Database, window: number): Promise<void> {
  await sql`delete from rate_limit_counter where window_start < ${window}`.execute(databaseHandle(database));
}
