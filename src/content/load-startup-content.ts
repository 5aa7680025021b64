import { existsSync } from 'node:fs';
import type { Resource, SearchParameter } from 'fhir/r4';
import type { Logger } from 'pino';
import type { ServerContext } from '../services/server-context';
import { isLibraryLoaded, isOneOf, locallyEditedResources, recordLibraryLoad, recordLibraryVersions } from './library-load-record';
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
  /** Library resources edited through the API since their last load, kept as edited: `Type/id` and the file they differ from. */
  kept: { resource: string; file: string }[];
  /** Such edits that this load replaced with the files' content (replaceLocalEdits). */
  replaced: { resource: string; file: string }[];
}

/**
 * Loads profiles/ then content/ idempotently at start-up. A library resource changed through
 * the API since the load that last wrote it from its file is a local edit (a site's own phone
 * number, say): it is kept, and reported, unless `replaceLocalEdits` asks for the files' content.
 * When the same files were loaded completely before and none of their resources changed since
 * (library-load-record.ts), every item is unchanged: it is counted so without being validated
 * and compared one by one.
 */
export async function loadStartupContent(
  ctx: ServerContext,
  items: ReadItem[],
  options: { replaceLocalEdits?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<StartupLoadSummary> {
  registerSearchParameters(ctx, items);
  const edited = await locallyEditedResources(ctx.database, items);
  const list = [...edited].map(([resource, file]) => ({ resource, file }));
  const replace = options.replaceLocalEdits === true && edited.size > 0;
  const kept = replace ? [] : list;
  const replaced = replace ? list : [];
  if (!replace && (await isLibraryLoaded(ctx.database, items))) {
    return { created: 0, updated: 0, unchanged: items.length - kept.length, rejected: [], skipped: true, kept, replaced };
  }
  const toLoad = kept.length > 0 ? items.filter((item) => !isOneOf(item, edited)) : items;
  const summary = await loadResources(ctx.service, toLoad, options.onProgress && ((done) => options.onProgress!(done, toLoad.length)));
  await recordLibraryVersions(ctx.database, toLoad);
  if (summary.rejected.length === 0) await recordLibraryLoad(ctx.database, items);
  return { ...summary, skipped: false, kept, replaced };
}

/** The log lines of a start-up load: rejected resources, kept and replaced local edits, the summary. */
export function logStartupLoad(logger: Logger, summary: StartupLoadSummary): void {
  for (const r of summary.rejected) logger.error({ source: r.source, reason: r.reason }, 'library resource rejected');
  for (const k of summary.kept) {
    logger.warn(
      { resource: k.resource, file: k.file },
      `${k.resource} was edited through the API since it was loaded from ${k.file}: the edit is kept. To put the file's content back: npm run load -- --replace-local-edits, or start with REPLACE_LOCAL_EDITS=true`,
    );
  }
  for (const k of summary.replaced) logger.warn({ resource: k.resource, file: k.file }, `${k.resource}: the edit made through the API was replaced by ${k.file}`);
  const { created, updated, unchanged, skipped } = summary;
  logger.info({ created, updated, unchanged, rejected: summary.rejected.length, kept: summary.kept.length, skipped }, skipped ? 'library unchanged since its last load' : 'library loaded');
}
