import { existsSync } from 'node:fs';
import type { Resource, SearchParameter } from 'fhir/r4';
import type { Kysely } from 'kysely';
import type { ServerContext } from '../server-context';
import { isLibraryLoaded, recordLibraryLoad } from './library-load-record';
import { loadResources, type LoadSummary } from './load-library';
import { readResources, type ReadItem } from './read-resources';

/** Conformance resources go first, so content is indexed by our SearchParameters and checked by our profiles. */
const CONFORMANCE_ORDER = ['SearchParameter', 'CodeSystem', 'ValueSet', 'StructureDefinition', 'ConceptMap'];

function byConformanceOrder(a: ReadItem, b: ReadItem): number {
  const rank = (r: Resource | undefined) => {
    const i = r ? CONFORMANCE_ORDER.indexOf(r.resourceType) : -1;
    return i < 0 ? CONFORMANCE_ORDER.length : i;
  };
  return rank(a.resource) - rank(b.resource);
}

/** Reads profiles/ and content/ (the directories of the configuration). */
export async function readStartupContent(dirs: string[]): Promise<ReadItem[]> {
  const items: ReadItem[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    items.push(...(await readResources(dir)));
  }
  return items.sort(byConformanceOrder);
}

/** Registers SearchParameters before anything is indexed. */
export function registerSearchParameters(ctx: ServerContext, items: ReadItem[]): void {
  for (const item of items) {
    if (item.resource?.resourceType === 'SearchParameter') ctx.registry.add(item.resource as SearchParameter);
  }
}

export interface StartupLoadSummary extends LoadSummary {
  /** True when the library was found as the last complete load left it, and not checked again. */
  skipped: boolean;
}

/**
 * Loads profiles/ then content/ idempotently at start-up. When the same files were loaded
 * completely before and none of their resources changed since (library-load-record.ts), every
 * item is unchanged: it is counted so without being validated and compared one by one.
 */
export async function loadStartupContent(ctx: ServerContext, items: ReadItem[]): Promise<StartupLoadSummary> {
  registerSearchParameters(ctx, items);
  const db = ctx.database.db as unknown as Kysely<unknown>;
  if (await isLibraryLoaded(db, items)) {
    return { created: 0, updated: 0, unchanged: items.length, rejected: [], skipped: true };
  }
  const summary = await loadResources(ctx.service, items);
  if (summary.rejected.length === 0) await recordLibraryLoad(db, items);
  return { ...summary, skipped: false };
}
