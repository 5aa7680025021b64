import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import type { StructureDefinition } from 'fhir/r4';
import { readCoreStructureDefinitions } from '../../../src/fhir/core-definitions';
import { shortcutFor } from '../../../src/fhir/validation/invariant-shortcuts';

/** Every error invariant of the R4 core types and resources, with the path it is evaluated on. */
function coreInvariants(): Array<{ key: string; path: string; expression: string }> {
  const definitions: StructureDefinition[] = [
    ...readCoreStructureDefinitions('fhir/r4/profiles-types.json'),
    ...readCoreStructureDefinitions('fhir/r4/profiles-resources.json'),
  ];
  const seen = new Set<string>();
  const result: Array<{ key: string; path: string; expression: string }> = [];
  for (const sd of definitions) {
    for (const element of sd.snapshot?.element ?? []) {
      for (const c of element.constraint ?? []) {
        if (c.severity !== 'error' || !c.expression) continue;
        const id = `${element.path}|${c.key}`;
        if (seen.has(id)) continue;
        seen.add(id);
        result.push({ key: c.key, path: element.path, expression: c.expression });
      }
    }
  }
  return result;
}

/** Objects with every subset of `names` present (as a string, an object or an array), the rest absent. */
function nodesOver(names: string[]): Record<string, unknown>[] {
  const values: unknown[] = ['2020-01-01', { reference: 'Patient/1', value: 'x' }, ['a']];
  const nodes: Record<string, unknown>[] = [{}];
  for (const name of names) {
    const next: Record<string, unknown>[] = [];
    for (const node of nodes) {
      next.push(node);
      for (const value of values) next.push({ ...node, [name]: value });
    }
    nodes.splice(0, nodes.length, ...next.slice(0, 400));
  }
  return nodes;
}

function engineSays(expression: string, node: Record<string, unknown>): boolean | undefined {
  try {
    const result = fhirpath.evaluate(
      node,
      expression,
      { resource: node, rootResource: node },
      r4Model,
    ) as unknown[];
    return result.length === 1 && result[0] === true;
  } catch {
    return undefined;
  }
}

describe('invariant shortcuts', () => {
  const invariants = coreInvariants();
  const withShortcut = invariants.filter((i) => shortcutFor(i.expression) !== undefined);

  it('cover the invariants that run on every write (dom-2, dom-4, dom-5, ref-1, per-1, inv-1 of Task, qrs-1)', () => {
    for (const [key, path] of [
      ['dom-2', 'DomainResource'],
      ['dom-4', 'DomainResource'],
      ['dom-5', 'DomainResource'],
      ['ref-1', 'Reference'],
      ['per-1', 'Period'],
      ['inv-1', 'Task'],
      ['qrs-1', 'QuestionnaireResponse.item'],
    ]) {
      const invariant = invariants.find((i) => i.key === key && i.path === path);
      expect({ key, shortcut: invariant && shortcutFor(invariant.expression) !== undefined }).toEqual({
        key,
        shortcut: true,
      });
    }
    expect(withShortcut.length).toBeGreaterThan(100);
  });

  it('never say "true" where the fhirpath engine does not (every core invariant with a shortcut)', () => {
    const disagreements: string[] = [];
    let checked = 0;
    for (const invariant of withShortcut) {
      const shortcut = shortcutFor(invariant.expression)!;
      const names = [...new Set(invariant.expression.match(/\b[a-z][A-Za-z0-9]*\b/g) ?? [])]
        .filter(
          (n) => !['exists', 'not', 'empty', 'hasValue', 'and', 'or', 'implies', 'in', 'count'].includes(n),
        )
        .slice(0, 4);
      for (const node of nodesOver(names)) {
        if (!shortcut(node)) continue;
        checked++;
        if (engineSays(invariant.expression, node) === false) {
          disagreements.push(`${invariant.key} on ${JSON.stringify(node)}: ${invariant.expression}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    expect(disagreements).toEqual([]);
  });

  it('leave out what they do not understand', () => {
    expect(shortcutFor("name.where(use = 'official').exists()")).toBeUndefined();
    expect(shortcutFor('a.exists() implies b.exists() implies c')).toBeUndefined();
    expect(shortcutFor('a.exists() or b.exists() implies c')).toBeUndefined();
    expect(shortcutFor('descendants().linkId.isDistinct().not()')).toBeUndefined();
  });

  it('pass only when the tested elements are absent', () => {
    const perOne = shortcutFor('start.hasValue().not() or end.hasValue().not() or (start <= end)')!;
    expect(perOne({ end: '2020' })).toBe(true);
    expect(perOne({ start: '2021', end: '2020' })).toBe(false);
    expect(perOne({ _start: { extension: [] }, end: '2020' })).toBe(false);
    const refOne = shortcutFor(
      "reference.startsWith('#').not() or (reference.substring(1).trace('url') in %rootResource.contained.id)",
    )!;
    expect(refOne({ reference: 'Patient/1' })).toBe(true);
    expect(refOne({ reference: '#p1' })).toBe(false);
    expect(refOne({ identifier: { value: 'x' } })).toBe(false);
    const domTwo = shortcutFor('contained.contained.empty()')!;
    expect(domTwo({ resourceType: 'Patient' })).toBe(true);
    expect(domTwo({ resourceType: 'Patient', contained: [{ resourceType: 'Patient' }] })).toBe(false);
  });
});
