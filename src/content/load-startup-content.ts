import { existsSync } from 'node:fs';
import type { Resource, SearchParameter } from 'fhir/r4';
import type { ServerContext } from '../server-context';
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

/** Loads profiles/ then content/ idempotently at start-up. */
export async function loadStartupContent(ctx: ServerContext, items: ReadItem[]): Promise<LoadSummary> {
  registerSearchParameters(ctx, items);
  return loadResources(ctx.service, items);
}
