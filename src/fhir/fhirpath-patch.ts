import type { Parameters, ParametersParameter, Resource } from 'fhir/r4';
import { FhirError } from './fhir-error';
import { evaluatePatchPath } from './fhirpath/evaluate';
import { MAX_PATCH_OPERATIONS } from './json-patch';
import { baseDefinitions } from './validation/base-definitions';

/** The longest FHIRPath expression a patch operation may carry. */
const MAX_PATH_LENGTH = 1000;

type JsonObject = Record<string, unknown>;

/** A node found by a FHIRPath expression, as fhirpath.js reports it with resolveInternalTypes off. */
interface FoundNode {
  data: unknown;
  path: string | null;
  fhirNodeDataType: string | null;
  propName: string | null;
  index: number | null;
  parentResNode: FoundNode | null;
}

interface PatchOperation {
  type: 'add' | 'insert' | 'delete' | 'replace' | 'move';
  path: string;
  name?: string;
  value?: ParametersParameter;
  index?: number;
  source?: number;
  destination?: number;
  where: string;
}

const TYPES = new Set(['add', 'insert', 'delete', 'replace', 'move']);

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(where: string, message: string): FhirError {
  return FhirError.badRequest(`FHIRPath Patch: ${message}`, where);
}

function unprocessable(where: string, message: string): FhirError {
  return new FhirError(422, [{ severity: 'error', code: 'processing', diagnostics: `FHIRPath Patch: ${message}`, expression: [where] }]);
}

/** Whether the element at any of these paths (`Patient.contact`, `HumanName.given`) repeats in R4. */
function repeatsAt(paths: ReadonlyArray<string | null>): boolean {
  const elements = baseDefinitions().elementsByPath;
  for (const path of paths) {
    const definition = path ? elements.get(path) : undefined;
    if (definition) return definition.max === '*' || Number(definition.max) > 1;
  }
  return false;
}

/**
 * The value of a part: its value[x], a resource, or (anonymous types such as Patient.contact) an
 * object built from its own parts, each a list where the element repeats at `paths`.
 */
function partValue(part: ParametersParameter, paths: ReadonlyArray<string | null>): unknown {
  if (part.resource) return structuredClone(part.resource);
  for (const [key, value] of Object.entries(part)) if (key.startsWith('value')) return structuredClone(value);
  if (part.part) {
    const out: JsonObject = {};
    for (const p of part.part) {
      const childPaths = paths.map((base) => (base ? `${base}.${p.name}` : null));
      const value = partValue(p, childPaths);
      const existing = out[p.name];
      if (Array.isArray(existing)) existing.push(value);
      else if (existing !== undefined) out[p.name] = [existing, value];
      else out[p.name] = repeatsAt(childPaths) ? [value] : value;
    }
    return out;
  }
  return undefined;
}

/** A Parameters body of FHIRPath Patch operations (R4 fhirpatch.html), checked before anything is applied. */
export function parseFhirPathPatch(body: unknown): PatchOperation[] {
  if (!isObject(body) || body.resourceType !== 'Parameters') {
    throw FhirError.badRequest('A FHIRPath Patch is a Parameters resource; a JSON Patch is sent as application/json-patch+json');
  }
  const params = ((body as unknown as Parameters).parameter ?? []).filter((p) => p.name === 'operation');
  if (params.length === 0) throw invalid('Parameters.parameter', 'no parameter named "operation"');
  if (params.length > MAX_PATCH_OPERATIONS) {
    throw FhirError.of(400, 'too-costly', `A patch may hold at most ${MAX_PATCH_OPERATIONS} operations; this one has ${params.length}`);
  }
  return params.map((p, i) => {
    const where = `Parameters.parameter[${i}]`;
    const parts = new Map((p.part ?? []).map((x) => [x.name, x]));
    const type = parts.get('type')?.valueCode;
    if (type === undefined || !TYPES.has(type)) throw invalid(where, `operation ${i} needs a type (valueCode) among ${[...TYPES].join(', ')}`);
    const path = parts.get('path')?.valueString;
    if (path === undefined || path.trim() === '') throw invalid(where, `operation ${i} (${type}) needs a path (valueString)`);
    if (path.length > MAX_PATH_LENGTH) throw FhirError.of(400, 'too-costly', `FHIRPath Patch: the path of operation ${i} is longer than ${MAX_PATH_LENGTH} characters`, where);
    const op: PatchOperation = { type: type as PatchOperation['type'], path, where };
    const value = parts.get('value');
    if (type === 'add' || type === 'insert' || type === 'replace') {
      if (value === undefined || partValue(value, []) === undefined) throw invalid(where, `operation ${i} (${type}) needs a value`);
      op.value = value;
    }
    if (type === 'add') {
      op.name = parts.get('name')?.valueString;
      if (op.name === undefined || !/^[A-Za-z][A-Za-z0-9]*$/.test(op.name)) throw invalid(where, `operation ${i} (add) needs the name of the element to add`);
    }
    const integer = (name: string): number => {
      const n = parts.get(name)?.valueInteger;
      if (n === undefined || !Number.isInteger(n) || n < 0) throw invalid(where, `operation ${i} (${type}) needs ${name} (a valueInteger of 0 or more)`);
      return n;
    };
    if (type === 'insert') op.index = integer('index');
    if (type === 'move') {
      op.source = integer('source');
      op.destination = integer('destination');
    }
    return op;
  });
}

function find(resource: Resource, op: PatchOperation): FoundNode[] {
  try {
    const result = evaluatePatchPath(resource, op.path);
    return result.filter((n): n is FoundNode => isObject(n) && 'data' in n && 'parentResNode' in n);
  } catch (error) {
    if (error instanceof FhirError) throw error;
    throw invalid(op.where, `"${op.path}" is not a FHIRPath expression this server can evaluate (${error instanceof Error ? error.message : String(error)})`);
  }
}

function single(resource: Resource, op: PatchOperation): FoundNode {
  const nodes = find(resource, op);
  if (nodes.length !== 1) throw unprocessable(op.where, `"${op.path}" must match exactly one element; it matches ${nodes.length}`);
  return nodes[0];
}

/** The JSON key of a found node in its parent (the full name of a choice element: deceased -> deceasedBoolean). */
function keyOf(parent: JsonObject, node: FoundNode): string | undefined {
  const name = node.propName;
  if (name === null) return undefined;
  if (Object.hasOwn(parent, name)) return name;
  return Object.keys(parent).find((k) => k.startsWith(name) && /[A-Z]/.test(k.charAt(name.length)));
}

interface Slot {
  parent: JsonObject;
  key: string;
  index: number | null;
}

function slotOf(node: FoundNode, op: PatchOperation): Slot {
  const parent = node.parentResNode?.data;
  const key = isObject(parent) ? keyOf(parent, node) : undefined;
  if (!isObject(parent) || key === undefined) throw unprocessable(op.where, `"${op.path}" does not name an element of the resource that can be changed`);
  const index = Array.isArray(parent[key]) ? node.index : null;
  return { parent, key, index };
}

/** Removes an element and its `_element` sibling (id and extensions of a primitive). */
function removeSlot({ parent, key, index }: Slot): void {
  for (const k of [key, `_${key}`]) {
    const v = parent[k];
    if (v === undefined) continue;
    if (index !== null && Array.isArray(v)) {
      v.splice(index, 1);
      if (v.length === 0) delete parent[k];
    } else delete parent[k];
  }
}

function childPaths(node: FoundNode, name: string): Array<string | null> {
  return [node.path, node.fhirNodeDataType].map((base) => (base ? `${base}.${name}` : null));
}

/** The element paths of a found node (`Patient.contact`; for an element of a datatype, its parent's type path). */
function nodePaths(node: FoundNode): Array<string | null> {
  const parent = node.parentResNode;
  return [node.path, parent && node.propName ? `${parent.fhirNodeDataType ?? ''}.${node.propName}` : null];
}

function listAt(resource: Resource, op: PatchOperation): { list: unknown[]; slot: Slot } {
  const nodes = find(resource, op);
  if (nodes.length === 0) throw unprocessable(op.where, `"${op.path}" matches no list`);
  const slot = slotOf(nodes[0], op);
  const list = slot.parent[slot.key];
  if (!Array.isArray(list)) throw unprocessable(op.where, `"${op.path}" is not a list`);
  return { list, slot };
}

function applyOne(resource: Resource, op: PatchOperation): void {
  switch (op.type) {
    case 'add': {
      const container = single(resource, op);
      if (!isObject(container.data)) throw unprocessable(op.where, `"${op.path}" is a primitive value; add needs an element to add "${op.name}" to`);
      const target = container.data;
      const paths = childPaths(container, op.name!);
      const value = partValue(op.value!, paths);
      const existing = target[op.name!];
      if (Array.isArray(existing)) existing.push(value);
      else if (existing !== undefined) throw unprocessable(op.where, `${op.path}.${op.name} already has a value and does not repeat; use replace`);
      else target[op.name!] = repeatsAt(paths) ? [value] : value;
      return;
    }
    case 'insert': {
      const { list, slot } = listAt(resource, op);
      if (op.index! > list.length) throw unprocessable(op.where, `index ${op.index} is past the end of "${op.path}" (${list.length} elements)`);
      list.splice(op.index!, 0, partValue(op.value!, nodePaths(find(resource, op)[0])));
      const extras = slot.parent[`_${slot.key}`];
      if (Array.isArray(extras)) extras.splice(op.index!, 0, null);
      return;
    }
    case 'delete': {
      const nodes = find(resource, op);
      if (nodes.length === 0) return;
      if (nodes.length > 1) throw unprocessable(op.where, `delete removes one element; "${op.path}" matches ${nodes.length}`);
      removeSlot(slotOf(nodes[0], op));
      return;
    }
    case 'replace': {
      const node = single(resource, op);
      const slot = slotOf(node, op);
      const value = partValue(op.value!, nodePaths(node));
      if (slot.index !== null) (slot.parent[slot.key] as unknown[])[slot.index] = value;
      else slot.parent[slot.key] = value;
      return;
    }
    case 'move': {
      const { list } = listAt(resource, op);
      if (op.source! >= list.length || op.destination! >= list.length) {
        throw unprocessable(op.where, `source and destination must be positions in "${op.path}" (${list.length} elements)`);
      }
      const [moved] = list.splice(op.source!, 1);
      list.splice(op.destination!, 0, moved);
      return;
    }
  }
}

/** Applies the operations in order to a copy of the resource; the first that cannot be applied stops the patch. */
export function applyFhirPathPatch(resource: Resource, operations: PatchOperation[]): Resource {
  const copy = structuredClone(resource);
  for (const op of operations) applyOne(copy, op);
  return copy;
}
