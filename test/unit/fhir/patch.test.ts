import type { Patient, Resource } from 'fhir/r4';
import { FhirError } from '../../../src/fhir/fhir-error';
import { applyFhirPathPatch, parseFhirPathPatch } from '../../../src/fhir/fhirpath-patch';
import { applyJsonPatch, parseJsonPatch } from '../../../src/fhir/json-patch';

const patient: Patient = {
  resourceType: 'Patient',
  id: 'p1',
  name: [{ family: 'Lee', given: ['Ann', 'B'] }],
  birthDate: '1970-05-01',
  _birthDate: { extension: [{ url: 'urn:x', valueString: 'estimated' }] },
  deceasedBoolean: false,
} as Patient;

function status(work: () => unknown): number | undefined {
  try {
    work();
    return undefined;
  } catch (error) {
    return error instanceof FhirError ? error.status : -1;
  }
}

function operation(parts: Record<string, unknown>) {
  return {
    name: 'operation',
    part: Object.entries(parts).map(([name, value]) =>
      name === 'type' ? { name, valueCode: value } : ['index', 'source', 'destination'].includes(name) ? { name, valueInteger: value } : name === 'value' ? { name, ...(value as object) } : { name, valueString: value },
    ),
  };
}

const fhirPath = (...ops: Record<string, unknown>[]) => (resource: Resource) =>
  applyFhirPathPatch(resource, parseFhirPathPatch({ resourceType: 'Parameters', parameter: ops.map(operation) })) as Patient;

describe('JSON Patch (RFC 6902)', () => {
  it('moves and copies, with ~0 and ~1 escapes in pointers, on a copy of the document', () => {
    const doc = { a: { 'x/y': 1, 'm~n': 2 }, list: [1, 2, 3] };
    const out = applyJsonPatch(doc, parseJsonPatch([
      { op: 'move', from: '/a/x~1y', path: '/moved' },
      { op: 'copy', from: '/a/m~0n', path: '/list/0' },
    ]));
    expect(out).toEqual({ a: { 'm~n': 2 }, moved: 1, list: [2, 1, 2, 3] });
    expect(doc).toEqual({ a: { 'x/y': 1, 'm~n': 2 }, list: [1, 2, 3] });
  });

  it('compares deeply in test, and refuses a remove of what is not there and a move into itself', () => {
    expect(status(() => applyJsonPatch({ a: { b: [1, { c: 2 }] } }, parseJsonPatch([{ op: 'test', path: '/a', value: { b: [1, { c: 2 }] } }])))).toBeUndefined();
    expect(status(() => applyJsonPatch({ a: { b: [1] } }, parseJsonPatch([{ op: 'test', path: '/a', value: { b: [2] } }])))).toBe(422);
    expect(status(() => applyJsonPatch({ a: 1 }, parseJsonPatch([{ op: 'remove', path: '/b' }])))).toBe(422);
    expect(status(() => applyJsonPatch({ a: { b: 1 } }, parseJsonPatch([{ op: 'move', from: '/a', path: '/a/b/c' }])))).toBe(400);
    expect(status(() => parseJsonPatch([{ op: 'add', path: 'no-slash', value: 1 }]))).toBeUndefined();
    expect(status(() => applyJsonPatch({}, parseJsonPatch([{ op: 'add', path: 'no-slash', value: 1 }])))).toBe(400);
  });
});

describe('FHIRPath Patch (R4 fhirpatch.html)', () => {
  it('replaces a choice element by its FHIRPath name and deletes a primitive with its extensions', () => {
    const out = fhirPath({ type: 'replace', path: 'Patient.deceased', value: { valueBoolean: true } }, { type: 'delete', path: 'Patient.birthDate' })(patient);
    expect(out.deceasedBoolean).toBe(true);
    expect(out.birthDate).toBeUndefined();
    expect((out as unknown as Record<string, unknown>)._birthDate).toBeUndefined();
    expect(patient.birthDate).toBe('1970-05-01');
  });

  it('adds to a repeating element as a list and builds anonymous types from parts', () => {
    const contact = { name: 'value', part: [{ name: 'gender', valueCode: 'male' }, { name: 'telecom', valueContactPoint: { system: 'phone', value: '1' } }] };
    const parameters = {
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Patient' }, { name: 'name', valueString: 'contact' }, contact] }],
    };
    const out = applyFhirPathPatch(patient, parseFhirPathPatch(parameters)) as Patient;
    expect(out.contact).toEqual([{ gender: 'male', telecom: [{ system: 'phone', value: '1' }] }]);
    const given = fhirPath({ type: 'add', path: 'Patient.name[0]', name: 'prefix', value: { valueString: 'Dr' } })(patient);
    expect(given.name![0].prefix).toEqual(['Dr']);
  });

  it('refuses add over a value that does not repeat, an insert past the end, and a delete of several elements', () => {
    expect(status(() => fhirPath({ type: 'add', path: 'Patient', name: 'birthDate', value: { valueDate: '2000-01-01' } })(patient))).toBe(422);
    expect(status(() => fhirPath({ type: 'insert', path: 'Patient.name[0].given', index: 5, value: { valueString: 'X' } })(patient))).toBe(422);
    expect(status(() => fhirPath({ type: 'delete', path: 'Patient.name.given' })(patient))).toBe(422);
    expect(fhirPath({ type: 'delete', path: 'Patient.gender' })(patient)).toEqual(patient);
  });

  it('evaluates a path within the FHIRPath limits: one too long or too deeply nested is refused as too costly', () => {
    const tooCostly = (path: string) => {
      try {
        fhirPath({ type: 'delete', path })(patient);
        return undefined;
      } catch (error) {
        return error instanceof FhirError ? `${error.status} ${error.outcome.issue[0]?.code}` : 'not a FhirError';
      }
    };
    expect(tooCostly(`Patient.name.where(${'('.repeat(40)}true${')'.repeat(40)})`)).toBe('400 too-costly');
    expect(tooCostly(`Patient.name.where(family = '${'x'.repeat(5000)}')`)).toBe('400 too-costly');
  });
});
