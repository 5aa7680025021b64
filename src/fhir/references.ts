import { ID_CHARS } from './resource-types';

/**
 * The literal references of a resource (`Reference.reference`, R4 references.html#literal),
 * wherever they are, with the FHIRPath location of each. Pure: no storage.
 */

export interface FoundReference {
  reference: string;
  /** e.g. `Task.for.reference`, `CarePlan.activity[0].reference.reference` */
  location: string;
}

export function collectReferences(resource: { resourceType: string }): FoundReference[] {
  const found: FoundReference[] = [];
  const visit = (node: unknown, location: string): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${location}[${i}]`));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'reference' && typeof value === 'string') found.push({ reference: value, location: `${location}.reference` });
      else visit(value, `${location}.${key}`);
    }
  };
  visit(resource, resource.resourceType);
  return found;
}

/** A relative literal reference (R4 references.html): `Type/id` or `Type/id/_history/v`. */
const LOCAL = new RegExp(`^([A-Z][A-Za-z]+)\\/(${ID_CHARS})(?:\\/_history\\/(${ID_CHARS}))?$`);

/** A relative `Type/id` (or `Type/id/_history/v`) reference, split; undefined for any other kind. */
export function localReference(reference: string): { resourceType: string; id: string; versionId?: string } | undefined {
  const m = LOCAL.exec(reference);
  if (!m) return undefined;
  return m[3] !== undefined ? { resourceType: m[1], id: m[2], versionId: m[3] } : { resourceType: m[1], id: m[2] };
}
