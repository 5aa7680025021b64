import { R4_RESOURCE_TYPES } from './r4-core-elements.generated';

/** Every concrete R4 resource type (generated from the R4 core StructureDefinitions). */
export const RESOURCE_TYPES: ReadonlySet<string> = new Set(R4_RESOURCE_TYPES);

export function isResourceType(name: string): boolean {
  return RESOURCE_TYPES.has(name);
}

/** The R4 id datatype, unanchored, for building larger patterns (`Type/id`): the one place it is spelled out. */
export const ID_CHARS = '[A-Za-z0-9\\-.]{1,64}';

/** R4 id datatype: [A-Za-z0-9\-\.]{1,64} */
export const ID_PATTERN = new RegExp(`^${ID_CHARS}$`);

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}
