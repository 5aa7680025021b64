import { FhirError } from './fhir-error';

/** The most operations one JSON Patch or FHIRPath Patch document may hold. */
export const MAX_PATCH_OPERATIONS = 100;

type Json = unknown;
type Container = Record<string, Json> | Json[];

export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

function bad(message: string, index?: number): FhirError {
  return FhirError.badRequest(index === undefined ? message : `JSON Patch operation ${index}: ${message}`, index === undefined ? undefined : `[${index}]`);
}

/** The body of a PATCH with Content-Type application/json-patch+json: an array of RFC 6902 operations. */
export function parseJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) throw bad('A JSON Patch document is an array of operations (RFC 6902)');
  if (body.length === 0) throw bad('The JSON Patch document has no operation');
  if (body.length > MAX_PATCH_OPERATIONS) throw FhirError.of(400, 'too-costly', `A patch may hold at most ${MAX_PATCH_OPERATIONS} operations; this one has ${body.length}`);
  return body.map((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('is not an object', i);
    const op = raw as Record<string, unknown>;
    if (typeof op.op !== 'string' || !OPS.has(op.op)) throw bad(`"op" must be one of ${[...OPS].join(', ')}`, i);
    if (typeof op.path !== 'string') throw bad('"path" must be a JSON Pointer string', i);
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') throw bad(`"${op.op}" needs "from"`, i);
    if ((op.op === 'add' || op.op === 'replace' || op.op === 'test') && !('value' in op)) throw bad(`"${op.op}" needs "value"`, i);
    return op as unknown as JsonPatchOperation;
  });
}

/** RFC 6901: "/a/b~1c/0" -> ["a", "b/c", "0"]. */
function pointer(path: string, index: number): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw bad(`"${path}" is not a JSON Pointer (it must start with "/")`, index);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(value: Json): value is Container {
  return typeof value === 'object' && value !== null;
}

function child(container: Container, token: string): Json {
  if (Array.isArray(container)) return /^(0|[1-9]\d*)$/.test(token) ? container[Number(token)] : undefined;
  return Object.hasOwn(container, token) ? container[token] : undefined;
}

/** The container holding the pointer's last token, and that token. */
function locate(document: Json, tokens: string[], path: string, index: number): { parent: Container; key: string } {
  let node = document;
  for (const token of tokens.slice(0, -1)) {
    const next = isContainer(node) ? child(node, token) : undefined;
    if (next === undefined) throw FhirError.unprocessable([{ severity: 'error', code: 'processing', diagnostics: `JSON Patch operation ${index}: "${path}" does not exist` }]);
    node = next;
  }
  if (!isContainer(node)) throw FhirError.unprocessable([{ severity: 'error', code: 'processing', diagnostics: `JSON Patch operation ${index}: the parent of "${path}" is not an object or array` }]);
  return { parent: node, key: tokens[tokens.length - 1] };
}

function missing(path: string, index: number): FhirError {
  return FhirError.unprocessable([{ severity: 'error', code: 'processing', diagnostics: `JSON Patch operation ${index}: "${path}" does not exist` }]);
}

function get(document: Json, path: string, index: number): Json {
  let node = document;
  for (const token of pointer(path, index)) {
    const next = isContainer(node) ? child(node, token) : undefined;
    if (next === undefined) throw missing(path, index);
    node = next;
  }
  return node;
}

function arrayIndex(array: Json[], key: string, path: string, index: number, forInsert: boolean): number {
  if (forInsert && key === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw missing(path, index);
  const i = Number(key);
  if (i > array.length || (!forInsert && i === array.length)) throw missing(path, index);
  return i;
}

function add(document: Json, path: string, value: Json, index: number): Json {
  const tokens = pointer(path, index);
  if (tokens.length === 0) return value;
  const { parent, key } = locate(document, tokens, path, index);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, index, true), 0, value);
  else parent[key] = value;
  return document;
}

function remove(document: Json, path: string, index: number): Json {
  const tokens = pointer(path, index);
  if (tokens.length === 0) throw bad('cannot remove the whole resource', index);
  const { parent, key } = locate(document, tokens, path, index);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, path, index, false), 1);
  else if (Object.hasOwn(parent, key)) delete parent[key];
  else throw missing(path, index);
  return document;
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]));
}

/**
 * Applies RFC 6902 operations to a copy of the document, all or nothing: a `test` that fails or
 * a path that does not exist answers 422 and leaves the stored resource as it was.
 */
export function applyJsonPatch(document: Json, operations: JsonPatchOperation[]): Json {
  let doc: Json = structuredClone(document);
  operations.forEach((op, i) => {
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, structuredClone(op.value), i);
        break;
      case 'remove':
        doc = remove(doc, op.path, i);
        break;
      case 'replace':
        get(doc, op.path, i);
        doc = add(remove(doc, op.path, i), op.path, structuredClone(op.value), i);
        break;
      case 'move': {
        if (op.path.startsWith(`${op.from}/`)) throw bad(`cannot move "${op.from}" into itself`, i);
        const value = get(doc, op.from!, i);
        doc = add(remove(doc, op.from!, i), op.path, value, i);
        break;
      }
      case 'copy':
        doc = add(doc, op.path, structuredClone(get(doc, op.from!, i)), i);
        break;
      case 'test':
        if (!deepEqual(get(doc, op.path, i), op.value)) {
          throw FhirError.unprocessable([{ severity: 'error', code: 'processing', diagnostics: `JSON Patch operation ${i}: test failed, "${op.path}" does not hold the value given` }]);
        }
        break;
    }
  });
  return doc;
}
