import type { StructureDefinition } from 'fhir/r4';
import { buildSnapshot, loadBaseDefinitions, withSnapshot } from '../../../src/content/build-snapshots';

const base = loadBaseDefinitions();
const lookup = (url: string): StructureDefinition | undefined => base.get(url);
const profile = (
  elements: NonNullable<StructureDefinition['differential']>['element'],
): StructureDefinition => ({
  resourceType: 'StructureDefinition',
  url: 'http://example.org/StructureDefinition/test',
  name: 'Test',
  status: 'draft',
  kind: 'resource',
  abstract: false,
  type: 'DocumentReference',
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/DocumentReference',
  derivation: 'constraint',
  differential: { element: elements },
});

describe('snapshot generation', () => {
  it('copies the base snapshot and merges the differential onto it', () => {
    const snapshot = buildSnapshot(
      profile([{ id: 'DocumentReference.type', path: 'DocumentReference.type', min: 1, mustSupport: true }]),
      lookup,
    );
    const baseSnapshot =
      base.get('http://hl7.org/fhir/StructureDefinition/DocumentReference')?.snapshot?.element ?? [];
    expect(snapshot.map((e) => e.id)).toEqual(baseSnapshot.map((e) => e.id));
    expect(snapshot.find((e) => e.id === 'DocumentReference.type')).toMatchObject({
      min: 1,
      max: '1',
      mustSupport: true,
    });
    expect(snapshot.every((e) => e.mapping === undefined)).toBe(true);
  });

  it('expands the children of a datatype the differential constrains, rebased on the element', () => {
    const snapshot = buildSnapshot(
      profile([
        {
          id: 'DocumentReference.content.attachment.title',
          path: 'DocumentReference.content.attachment.title',
          min: 1,
        },
      ]),
      lookup,
    );
    const ids = snapshot.map((e) => e.id);
    const at = ids.indexOf('DocumentReference.content.attachment');
    expect(ids.slice(at + 1, at + 4)).toEqual([
      'DocumentReference.content.attachment.id',
      'DocumentReference.content.attachment.extension',
      'DocumentReference.content.attachment.contentType',
    ]);
    expect(snapshot.find((e) => e.id === 'DocumentReference.content.attachment.title')).toMatchObject({
      path: 'DocumentReference.content.attachment.title',
      min: 1,
      base: { path: 'Attachment.title' },
    });
  });

  it('inserts slices after the sliced element, from its unconstrained definition', () => {
    const snapshot = buildSnapshot(
      profile([
        {
          id: 'DocumentReference.category',
          path: 'DocumentReference.category',
          min: 1,
          slicing: { discriminator: [{ type: 'pattern', path: '$this' }], rules: 'open' },
        },
        {
          id: 'DocumentReference.category:a',
          path: 'DocumentReference.category',
          sliceName: 'a',
          min: 1,
          max: '1',
          patternCodeableConcept: { text: 'a' },
        },
      ]),
      lookup,
    );
    const ids = snapshot.map((e) => e.id);
    expect(ids.indexOf('DocumentReference.category:a')).toBe(ids.indexOf('DocumentReference.category') + 1);
    expect(snapshot.find((e) => e.id === 'DocumentReference.category:a')).toMatchObject({
      sliceName: 'a',
      min: 1,
      max: '1',
      patternCodeableConcept: { text: 'a' },
    });
    expect(snapshot.find((e) => e.id === 'DocumentReference.category:a')?.slicing).toBeUndefined();
  });

  it('appends invariants with their source', () => {
    const snapshot = buildSnapshot(
      profile([
        {
          id: 'DocumentReference',
          path: 'DocumentReference',
          constraint: [{ key: 'x-1', severity: 'error', human: 'x', expression: 'true' }],
        },
      ]),
      lookup,
    );
    const constraints = snapshot[0].constraint ?? [];
    expect(constraints.length).toBeGreaterThan(1);
    expect(constraints[constraints.length - 1]).toMatchObject({
      key: 'x-1',
      source: 'http://example.org/StructureDefinition/test',
    });
  });

  it.each([
    ['a wider maximum', { id: 'DocumentReference.type', path: 'DocumentReference.type', max: '*' }],
    ['a lower minimum', { id: 'DocumentReference.status', path: 'DocumentReference.status', min: 0 }],
    [
      'a type the base does not allow',
      { id: 'DocumentReference.subject', path: 'DocumentReference.subject', type: [{ code: 'string' }] },
    ],
    [
      'an element the base does not have',
      { id: 'DocumentReference.colour', path: 'DocumentReference.colour', min: 1 },
    ],
  ])('refuses %s', (_what, element) => {
    expect(() => buildSnapshot(profile([element]), lookup)).toThrow();
  });

  it('writes the snapshot before the differential', () => {
    const sd = profile([]);
    expect(Object.keys(withSnapshot(sd, []))).toEqual([
      ...Object.keys(sd).filter((k) => k !== 'differential'),
      'snapshot',
      'differential',
    ]);
  });
});
