import { createHash } from 'node:crypto';
import type { Database } from '../store/database';
import { readLibraryLoad, recordStoredVersions, resourcesChangedSinceRecorded, storedVersions, writeLibraryLoad, type LibraryKey } from '../store/library-load-tables';
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

function libraryKeys(items: readonly ReadItem[]): LibraryKey[] {
  const keys = new Map<string, LibraryKey>();
  for (const { resource } of items) {
    if (resource?.id !== undefined) keys.set(`${resource.resourceType}/${resource.id}`, [resource.resourceType, resource.id]);
  }
  return [...keys.values()];
}

/** A hash of the stored version (and deletion) of each resource of the library. */
async function libraryState(database: Database, items: readonly ReadItem[]): Promise<string> {
  const rows = await storedVersions(database, libraryKeys(items));
  return sha256(rows.map((r) => `${r.resource_type}/${r.id}/${r.version_id}${r.deleted ? '/deleted' : ''}`).join('\n'));
}

/** True when these items are what the last complete load read, and their resources are still as it left them. */
export async function isLibraryLoaded(database: Database, items: readonly ReadItem[]): Promise<boolean> {
  const fingerprint = libraryFingerprint(items);
  if (fingerprint === undefined) return false;
  const last = await readLibraryLoad(database, RECORD_NAME);
  if (last === undefined || last.fingerprint !== fingerprint) return false;
  return last.state === (await libraryState(database, items));
}

/** Records a load of these items that rejected none of them. */
export async function recordLibraryLoad(database: Database, items: readonly ReadItem[]): Promise<void> {
  const fingerprint = libraryFingerprint(items);
  if (fingerprint === undefined) return;
  await writeLibraryLoad(database, RECORD_NAME, fingerprint, await libraryState(database, items));
}

const keyOf = (type: string, id: string): string => `${type}/${id}`;

/**
 * The library resources whose stored version is not the one the last load from their file left
 * (changed or deleted through the API since): key `Type/id` -> the file it came from. A resource
 * never recorded (a new one, or a database from before the record) is not an edit.
 */
export async function locallyEditedResources(database: Database, items: readonly ReadItem[]): Promise<Map<string, string>> {
  const edited = new Map<string, string>();
  const rows = await resourcesChangedSinceRecorded(database, libraryKeys(items));
  const sources = new Map<string, string>();
  for (const { source, resource } of items) if (resource?.id !== undefined) sources.set(keyOf(resource.resourceType, resource.id), source);
  for (const row of rows) edited.set(keyOf(row.resource_type, row.id), sources.get(keyOf(row.resource_type, row.id)) ?? '');
  return edited;
}

/** Records the stored version of each of these items' resources as the one their files gave. */
export async function recordLibraryVersions(database: Database, items: readonly ReadItem[]): Promise<void> {
  await recordStoredVersions(database, libraryKeys(items));
}

/** Whether an item is one of these resources (keys as locallyEditedResources gives them). */
export function isOneOf(item: ReadItem, keys: ReadonlyMap<string, string>): boolean {
  return item.resource?.id !== undefined && keys.has(keyOf(item.resource.resourceType, item.resource.id));
}
