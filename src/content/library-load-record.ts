import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { ReadItem } from './read-resources';

/**
 * The record of the last complete start-up load of the library (table library_load, migration
 * 005): a fingerprint of the items read from profiles/ and content/, and a hash of the current
 * version of each of their resources right after the load. When a start-up reads the same
 * items and finds the same versions (nobody wrote, deleted or reloaded one since), loading them
 * again would only validate each and find it unchanged: the loader skips that.
 */
const RECORD_NAME = 'startup';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A hash of what was read (source, resource or read error of each item, in order); undefined
 * when an item has no id: a resource without one is created anew at every load, never skipped.
 */
export function libraryFingerprint(items: readonly ReadItem[]): string | undefined {
  const hash = createHash('sha256');
  for (const item of items) {
    if (item.resource !== undefined && item.resource.id === undefined) return undefined;
    hash.update(JSON.stringify([item.source, item.resource ?? null, item.error ?? null]));
    hash.update('\n');
  }
  return hash.digest('hex');
}

function libraryKeys(items: readonly ReadItem[]): Array<[string, string]> {
  const keys = new Map<string, [string, string]>();
  for (const { resource } of items) {
    if (resource?.id !== undefined) keys.set(`${resource.resourceType}/${resource.id}`, [resource.resourceType, resource.id]);
  }
  return [...keys.values()];
}

/** A hash of the stored version (and deletion) of each resource of the library. */
async function libraryState(db: Kysely<unknown>, items: readonly ReadItem[]): Promise<string> {
  const keys = libraryKeys(items);
  if (keys.length === 0) return sha256('');
  const rows = await sql<{ resource_type: string; id: string; version_id: number; deleted: boolean }>`
    select resource_type, id, version_id, deleted from resource
    where (resource_type, id) in (${sql.join(keys.map(([type, id]) => sql`(${type}, ${id})`))})
    order by resource_type, id`.execute(db);
  return sha256(rows.rows.map((r) => `${r.resource_type}/${r.id}/${r.version_id}${r.deleted ? '/deleted' : ''}`).join('\n'));
}

/** True when these items are what the last complete load read, and their resources are still as it left them. */
export async function isLibraryLoaded(db: Kysely<unknown>, items: readonly ReadItem[]): Promise<boolean> {
  const fingerprint = libraryFingerprint(items);
  if (fingerprint === undefined) return false;
  const recorded = await sql<{ fingerprint: string; state: string }>`
    select fingerprint, state from library_load where name = ${RECORD_NAME}`.execute(db);
  const last = recorded.rows[0];
  if (last === undefined || last.fingerprint !== fingerprint) return false;
  return last.state === (await libraryState(db, items));
}

/** Records a load of these items that rejected none of them. */
export async function recordLibraryLoad(db: Kysely<unknown>, items: readonly ReadItem[]): Promise<void> {
  const fingerprint = libraryFingerprint(items);
  if (fingerprint === undefined) return;
  const state = await libraryState(db, items);
  await sql`
    insert into library_load (name, fingerprint, state) values (${RECORD_NAME}, ${fingerprint}, ${state})
    on conflict (name) do update set fingerprint = excluded.fingerprint, state = excluded.state, loaded_at = now()`.execute(db);
}

const keyOf = (type: string, id: string): string => `${type}/${id}`;

/**
 * The library resources whose stored version is not the one the last load from their file left
 * (changed or deleted through the API since): key `Type/id` -> the file it came from. A resource
 * never recorded (a new one, or a database from before the record) is not an edit.
 */
export async function locallyEditedResources(db: Kysely<unknown>, items: readonly ReadItem[]): Promise<Map<string, string>> {
  const keys = libraryKeys(items);
  const edited = new Map<string, string>();
  if (keys.length === 0) return edited;
  const rows = await sql<{ resource_type: string; id: string }>`
    select r.resource_type, r.id from resource r
    join library_resource l on l.resource_type = r.resource_type and l.id = r.id
    where (r.resource_type, r.id) in (${sql.join(keys.map(([type, id]) => sql`(${type}, ${id})`))})
      and r.version_id <> l.version_id`.execute(db);
  const sources = new Map<string, string>();
  for (const { source, resource } of items) if (resource?.id !== undefined) sources.set(keyOf(resource.resourceType, resource.id), source);
  for (const row of rows.rows) edited.set(keyOf(row.resource_type, row.id), sources.get(keyOf(row.resource_type, row.id)) ?? '');
  return edited;
}

/** Records the stored version of each of these items' resources as the one their files gave. */
export async function recordLibraryVersions(db: Kysely<unknown>, items: readonly ReadItem[]): Promise<void> {
  const keys = libraryKeys(items);
  if (keys.length === 0) return;
  await sql`
    insert into library_resource (resource_type, id, version_id)
    select resource_type, id, version_id from resource
    where (resource_type, id) in (${sql.join(keys.map(([type, id]) => sql`(${type}, ${id})`))})
    on conflict (resource_type, id) do update set version_id = excluded.version_id`.execute(db);
}

/** Whether an item is one of these resources (keys as locallyEditedResources gives them). */
export function isOneOf(item: ReadItem, keys: ReadonlyMap<string, string>): boolean {
  return item.resource?.id !== undefined && keys.has(keyOf(item.resource.resourceType, item.resource.id));
}
