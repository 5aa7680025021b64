import { sql } from 'kysely';
import type { Database } from './database';
import { databaseHandle } from './database-handle';

/**
 * The record of library loads (content/library-load-record.ts decides what it means):
 * library_load (migration 005) holds a fingerprint and a state per named load, library_resource
 * (migration 014) the version of each library resource that its file last gave.
 */

/** A library resource by type and id. */
export type LibraryKey = readonly [resourceType: string, id: string];

/** `((type, id), ...)`, every value bound; keys is not empty. */
const keyList = (keys: readonly LibraryKey[]) => sql`(${sql.join(keys.map(([type, id]) => sql`(${type}, ${id})`))})`;

/** The stored version and deletion of each of these resources that exists, by type and id. */
export async function storedVersions(
  database: Database,
  keys: readonly LibraryKey[],
): Promise<{ resource_type: string; id: string; version_id: number; deleted: boolean }[]> {
  if (keys.length === 0) return [];
  const result = await sql<{ resource_type: string; id: string; version_id: number; deleted: boolean }>`
    select resource_type, id, version_id, deleted from resource
    where (resource_type, id) in ${keyList(keys)}
    order by resource_type, id`.execute(databaseHandle(database));
  return result.rows;
}

/** The recorded load of this name. */
export async function readLibraryLoad(database: Database, name: string): Promise<{ fingerprint: string; state: string } | undefined> {
  const recorded = await sql<{ fingerprint: string; state: string }>`
    select fingerprint, state from library_load where name = ${name}`.execute(databaseHandle(database));
  return recorded.rows[0];
}

/** Records (or replaces) the load of this name, stamped now. */
export async function writeLibraryLoad(database: Database, name: string, fingerprint: string, state: string): Promise<void> {
  await sql`
    insert into library_load (name, fingerprint, state) values (${name}, ${fingerprint}, ${state})
    on conflict (name) do update set fingerprint = excluded.fingerprint, state = excluded.state, loaded_at = now()`.execute(databaseHandle(database));
}

/** Of these resources, those whose stored version differs from the one recorded in library_resource. */
export async function resourcesChangedSinceRecorded(database: Database, keys: readonly LibraryKey[]): Promise<{ resource_type: string; id: string }[]> {
  if (keys.length === 0) return [];
  const result = await sql<{ resource_type: string; id: string }>`
    select r.resource_type, r.id from resource r
    join library_resource l on l.resource_type = r.resource_type and l.id = r.id
    where (r.resource_type, r.id) in ${keyList(keys)}
      and r.version_id <> l.version_id`.execute(databaseHandle(database));
  return result.rows;
}

/** Records the stored version of each of these resources in library_resource. */
export async function recordStoredVersions(database: Database, keys: readonly LibraryKey[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    insert into library_resource (resource_type, id, version_id)
    select resource_type, id, version_id from resource
    where (resource_type, id) in ${keyList(keys)}
    on conflict (resource_type, id) do update set version_id = excluded.version_id`.execute(databaseHandle(database));
}
