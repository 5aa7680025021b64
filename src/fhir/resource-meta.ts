import type { Meta, Resource } from 'fhir/r4';
import { stableStringify } from './stable-json';

/** The resource with the server-managed parts of meta removed (for change detection). */
function withoutServerMeta(resource: Resource): Resource {
  const { meta, ...rest } = resource;
  if (meta === undefined) return rest as Resource;
  const { versionId: _v, lastUpdated: _l, ...clientMeta } = meta;
  return Object.keys(clientMeta).length === 0 ? (rest as Resource) : ({ ...rest, meta: clientMeta } as Resource);
}

/** True when the two resources differ in anything but meta.versionId / meta.lastUpdated. */
export function contentChanged(previous: Resource, next: Resource): boolean {
  return stableStringify(withoutServerMeta(previous)) !== stableStringify(withoutServerMeta(next));
}

/** Sets id, meta.versionId and meta.lastUpdated, which only the server decides. */
export function stampResource<T extends Resource>(resource: T, id: string, versionId: number, lastUpdated: string): T {
  const meta: Meta = { ...(resource.meta ?? {}), versionId: String(versionId), lastUpdated };
  const { resourceType, id: _ignored, meta: _oldMeta, ...rest } = resource;
  return { resourceType, id, meta, ...rest } as unknown as T;
}

/** A strictly increasing timestamp for a resource's next version. */
export function nextLastUpdated(previous?: string): string {
  const now = Date.now();
  const prev = previous !== undefined ? Date.parse(previous) : Number.NaN;
  return new Date(Number.isFinite(prev) && prev >= now ? prev + 1 : now).toISOString();
}
