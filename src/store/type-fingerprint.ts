import { sql } from 'kysely';
import type { Database } from './database';
import { databaseHandle } from './database-handle';

/**
 * A fingerprint of the stored resources of some types: it changes with every create, update
 * and delete of one of them (a delete adds a version too), on any instance.
 */
export async function resourceTypesFingerprint(database: Database, resourceTypes: readonly string[]): Promise<string> {
  const result = await sql<{ n: string; v: string; at: string | null }>`
    select count(*)::text as n, coalesce(sum(version_id), 0)::text as v, max(last_updated)::text as at
    from resource where resource_type = any(${[...resourceTypes]}::text[])`.execute(databaseHandle(database));
  const row = result.rows[0];
  return `${row?.n}/${row?.v}/${row?.at ?? ''}`;
}
