import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { Resource, StructureDefinition } from 'fhir/r4';
import { generateResources, planLibrary } from '../../../bench/generate-library';
import { readCoreStructureDefinitions } from '../../../src/fhir/core-definitions';
import { compileInvariant, compileSearchExpression, type InvariantOutcome } from '../../../src/fhir/fhirpath/evaluate';
import { RESOURCE_TYPES } from '../../../src/fhir/resource-types';
import { compileSimplePath } from '../../../src/fhir/search/simple-path';
import { SearchParameterRegistry } from '../../../src/fhir/search/search-parameter-registry';
import { shortcutFor } from '../../../src/fhir/validation/invariant-shortcuts';

/**
 * The FHIRPath module (src/fhir/fhirpath/evaluate.ts) answers some expressions without the
 * `fhirpath` package: plain search paths walked on the JSON, invariant shortcuts, @medplum/core's
 * engine. On the same inputs (the library's content/ and profiles/, a generated library, and
 * nodes built over the elements an invariant names) every answer must be the package's answer.
 */
const ROOT = path.resolve(__dirname, '../../..');

function jsonFiles(dir: string): Resource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Resource);
}

const resources: Resource[] = [
  ...jsonFiles(path.join(ROOT, 'content')),
  ...jsonFiles(path.join(ROOT, 'profiles')).filter((r) => r.resourceType !== undefined),
  ...generateResources(planLibrary({ total: 120, seed: 'fhirpath-fast-paths', patientShare: 0.5 })),
];

/** The values as JSON (the package's dates and quantities are its own types). */
const plain = (values: unknown[]): unknown => JSON.parse(JSON.stringify(values));

describe('search expressions: the walked plain paths give what the fhirpath package gives', () => {
  const registry = SearchParameterRegistry.withCoreParameters(RESOURCE_TYPES);
  const table: Array<{ expression: string; resource: Resource }> = [];
  for (const resource of resources) {
    for (const param of registry.indexedForType(resource.resourceType)) {
      if (param.type !== 'composite' && compileSimplePath(param.expression!) !== undefined) table.push({ expression: param.expression!, resource });
    }
  }

  test('the table covers the walked paths of every type in the library', () => {
    expect(new Set(table.map((row) => row.expression)).size).toBeGreaterThan(60);
    expect(new Set(table.map((row) => row.resource.resourceType))).toEqual(new Set(resources.map((r) => r.resourceType)));
  });

  test('every expression on every resource', () => {
    const compiled = new Map<string, (r: unknown) => unknown[]>();
    const differences: string[] = [];
    for (const { expression, resource } of table) {
      let fast = compiled.get(expression);
      if (fast === undefined) compiled.set(expression, (fast = compileSearchExpression(expression)));
      const expected = plain(fhirpath.evaluate(resource, expression, undefined, r4Model) as unknown[]);
      const actual = plain(fast(resource));
      if (JSON.stringify(actual) !== JSON.stringify(expected)) differences.push(`${resource.resourceType}/${resource.id} ${expression}`);
    }
    expect(differences).toEqual([]);
  });
});

interface InvariantRow {
  key: string;
  /** The element path of the constraint (`Questionnaire`, `Period`, `PlanDefinition.action`). */
  path: string;
  expression: string;
}

/** The error invariants of the R4 core types and resources and of our profiles. */
function invariants(): InvariantRow[] {
  const definitions: StructureDefinition[] = [
    ...readCoreStructureDefinitions('fhir/r4/profiles-types.json'),
    ...readCoreStructureDefinitions('fhir/r4/profiles-resources.json'),
    ...(resources.filter((r) => r.resourceType === 'StructureDefinition') as StructureDefinition[]),
  ];
  const rows = new Map<string, InvariantRow>();
  for (const sd of definitions) {
    for (const element of [...(sd.snapshot?.element ?? []), ...(sd.differential?.element ?? [])]) {
      for (const c of element.constraint ?? []) {
        if (c.severity !== 'error' || !c.expression) continue;
        rows.set(`${element.path}|${c.key}|${c.expression}`, { key: c.key, path: element.path, expression: c.expression });
      }
    }
  }
  return [...rows.values()];
}

/** The nodes at an element path of the resources (`Questionnaire.item`: every top-level item). */
function nodesAt(elementPath: string): Array<{ node: unknown; resource: Resource }> {
  const [type, ...names] = elementPath.split('.');
  const found: Array<{ node: unknown; resource: Resource }> = [];
  for (const resource of resources) {
    if (resource.resourceType !== type && type !== 'DomainResource' && type !== 'Resource') continue;
    let nodes: unknown[] = [resource];
    for (const name of names) nodes = nodes.flatMap((n) => (typeof n === 'object' && n !== null ? [(n as Record<string, unknown>)[name]].flat() : [])).filter((n) => n !== undefined);
    for (const node of nodes) found.push({ node, resource });
  }
  return found;
}

const choiceTypePaths = (r4Model as unknown as { choiceTypePaths: Record<string, string[] | undefined> }).choiceTypePaths;

/**
 * Objects with every subset of the child names an expression mentions present (as a string, an
 * object or an array), the rest absent. Not a choice element under its bare name (`age` for
 * `ageAge`): no JSON holds one, and the engines read it differently.
 */
function nodesOver(expression: string, elementPath: string): Record<string, unknown>[] {
  const names = [...new Set([...expression.matchAll(/\b([a-z][A-Za-z0-9]*)\b/g)].map((m) => m[1]))]
    .filter((name) => choiceTypePaths[`${elementPath}.${name}`] === undefined)
    .slice(0, 4);
  const values: unknown[] = ['2020-01-01', { reference: 'Patient/1', value: 'x' }, ['a']];
  let nodes: Record<string, unknown>[] = [{}];
  for (const name of names) nodes = nodes.flatMap((node) => [node, ...values.map((value) => ({ ...node, [name]: value }))]).slice(0, 300);
  return nodes;
}

/** The package's answer (compiled once per row): pass, fail, or unknown when it cannot evaluate the expression. */
function referenceEngine(row: InvariantRow): (node: unknown, resource: unknown) => InvariantOutcome {
  let compiled: ReturnType<typeof fhirpath.compile> | undefined;
  try {
    compiled = fhirpath.compile({ base: row.path, expression: row.expression }, r4Model, { async: false, traceFn: () => undefined });
  } catch {
    compiled = undefined;
  }
  return (node, resource) => {
    if (compiled === undefined) return 'unknown';
    try {
      const result = compiled(node as object, { resource, rootResource: resource, context: node }) as unknown[];
      return result.length === 0 || (result.length === 1 && result[0] === true) ? 'pass' : 'fail';
    } catch {
      return 'unknown';
    }
  };
}

describe('invariants: the shortcuts and @medplum/core answer what the fhirpath package answers', () => {
  const all = invariants();
  const inputTypes = new Set(resources.map((r) => r.resourceType));
  const rows = all.filter((row) => shortcutFor(row.expression) !== undefined || inputTypes.has(row.path.split('.')[0]) || row.path.split('.')[0] === 'DomainResource');

  test('the table covers the invariants the shortcuts serve and those of every type in the library', () => {
    expect(rows.filter((row) => shortcutFor(row.expression) !== undefined).length).toBeGreaterThan(40);
    expect(rows.map((row) => row.key)).toEqual(expect.arrayContaining(['que-2', 'dom-2', 'dom-3', 'ref-1', 'per-1', 'pe-q-1', 'pe-q-3']));
  });

  test('every invariant on the nodes of its path, whenever the fhirpath package can answer', () => {
    const differences: string[] = [];
    let compared = 0;
    for (const row of rows) {
      const typeName = row.path.includes('.') ? undefined : row.path;
      const invariant = compileInvariant(row.expression, typeName, row.path);
      const reference = referenceEngine(row);
      // Nodes built over the names an expression mentions are what a shortcut reads; the library's nodes serve every row.
      const built = shortcutFor(row.expression) !== undefined ? nodesOver(row.expression, row.path).map((node) => ({ node, resource: node })) : [];
      for (const { node, resource } of [...nodesAt(row.path), ...built]) {
        const expected = reference(node, resource);
        if (expected === 'unknown') continue;
        compared++;
        const actual = invariant(node, resource, resource);
        if (actual !== expected) differences.push(`${row.key} (${row.path}) on ${JSON.stringify(node).slice(0, 120)}: ${actual}, the package: ${expected}`);
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(differences.slice(0, 20)).toEqual([]);
  });
});

describe('one way in', () => {
  /** The engines and fast paths, imported only by the FHIRPath module and by each other. */
  const ENGINES = /from '(fhirpath(\/[^']*)?|@medplum\/core|[^']*\/(fhirpath-r4|simple-path|invariant-shortcuts|tree-shortcuts|client-expressions))'/g;
  const ALLOWED = new Set([
    'src/fhir/fhirpath/evaluate.ts',
    'src/fhir/fhirpath/client-expressions.ts',
    'src/fhir/fhirpath-r4.ts',
    'src/fhir/search/simple-path.ts',
    'src/fhir/validation/invariant-shortcuts.ts',
    'src/fhir/validation/tree-shortcuts.ts',
    'src/fhir/validation/medplum-functions.ts',
  ]);

  function sources(dir: string): string[] {
    return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? sources(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
    );
  }

  test('no other file of src/ imports a FHIRPath engine or fast path', () => {
    const offenders: string[] = [];
    for (const file of sources('src')) {
      if (ALLOWED.has(file)) continue;
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      for (const match of text.matchAll(ENGINES)) {
        // @medplum/core's other services (structure definitions, types) are not FHIRPath.
        if (match[1] === '@medplum/core' && !/evalFhirPath|parseFhirPath/.test(text)) continue;
        offenders.push(`${file}: ${match[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
