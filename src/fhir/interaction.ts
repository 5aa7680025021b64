import { ID_PATTERN } from './resource-types';

/**
 * The route table of the FHIR API: which interaction a request under the FHIR base is, from its
 * method, path and query alone. The Express router, the fast path, the authorization middleware,
 * the `Allow` header of a 405 and the entries of a batch or transaction all read it from here.
 */
export type InteractionKind =
  | 'capabilities'
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'create'
  | 'search-type'
  | 'search-system'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'batch'
  | 'transaction'
  | 'operation'
  | 'unknown';

/** The permission letters of a SMART v2 scope (`patient/Observation.rs`). */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

/** Who may ask without a token: anyone, anyone when every type asked is public, or only callers with a token. */
export type AnonymousAccess = 'always' | 'public-types' | 'never';

export interface Interaction {
  kind: InteractionKind;
  resourceType?: string;
  id?: string;
  versionId?: string;
  /** The operation's name without `$`. */
  operation?: string;
  /** Of an operation: at the base, on a type or on an instance. */
  level?: 'system' | 'type' | 'instance';
  /** A search within a Patient compartment: `[base]/Patient/[id]/[type]`. */
  compartment?: { resourceType: 'Patient'; id: string };
  /** A search posted as a form (`POST [type]/_search`). */
  posted?: boolean;
  /** A type-level update, patch or delete: the query holds its criteria. */
  conditional?: boolean;
  /** The scope the interaction needs: of these resource types, this permission (none: decided elsewhere). */
  scope?: { resourceTypes: string[]; permission: Permission };
  anonymous: AnonymousAccess;
  /** The path is not valid percent-encoding. */
  malformed?: boolean;
}

const OPERATION_NAME = /^\$([A-Za-z][A-Za-z0-9-]*)$/;
const OPERATION_TYPE = /^[A-Za-z]+$/;
const COMPARTMENT_TARGET = /^[A-Z][A-Za-z]+$/;

const UNKNOWN: Interaction = { kind: 'unknown', anonymous: 'always' };

/** The methods a FHIR path may be asked with. */
export const FHIR_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The path's segments as sent and decoded; 'empty' when one is empty (`/a//b`), 'malformed' when one is not valid percent-encoding. */
function segmentsOf(path: string): { raw: string[]; decoded: string[] } | 'empty' | 'malformed' {
  let p = path.startsWith('/') ? path.slice(1) : path;
  if (p.endsWith('/')) p = p.slice(0, -1);
  if (p === '') return { raw: [], decoded: [] };
  const raw = p.split('/');
  if (raw.some((s) => s === '')) return 'empty';
  try {
    return { raw, decoded: p.includes('%') ? raw.map((s) => decodeURIComponent(s)) : raw };
  } catch {
    return 'malformed';
  }
}

function scope(resourceType: string, permission: Permission): Interaction['scope'] {
  return { resourceTypes: [resourceType], permission };
}

function typesOf(query: string): string[] {
  const value = new URLSearchParams(query).get('_type');
  return value === null ? [] : value.split(',').map((t) => t.trim());
}

function operation(raw: string[], decoded: string[], verb: string): Interaction | undefined {
  const name = OPERATION_NAME.exec(raw[raw.length - 1])?.[1];
  if (name === undefined) return undefined;
  const [type, id] = decoded;
  const found: Interaction | undefined =
    raw.length === 1
      ? { kind: 'operation', operation: name, level: 'system', anonymous: 'never' }
      : raw.length === 2 && OPERATION_TYPE.test(type)
        ? { kind: 'operation', resourceType: type, operation: name, level: 'type', anonymous: 'never' }
        : raw.length === 3 && OPERATION_TYPE.test(type) && ID_PATTERN.test(id)
          ? { kind: 'operation', resourceType: type, id, operation: name, level: 'instance', anonymous: 'never' }
          : undefined;
  if (found === undefined) return undefined;
  return verb === 'GET' || verb === 'POST' ? found : UNKNOWN;
}

/**
 * What `method path?query` asks of the FHIR API. `path` is relative to the FHIR base
 * (`/Task/1/_history`), as sent (percent-encoded); `query` is without the `?`. HEAD is
 * classified as GET.
 */
export function classify(method: string, path: string, query = ''): Interaction {
  const verb = method === 'HEAD' ? 'GET' : method;
  const parts = segmentsOf(path);
  if (parts === 'empty') return UNKNOWN;
  if (parts === 'malformed') return { ...UNKNOWN, malformed: true };
  const { raw, decoded } = parts;
  const op = raw.length > 0 ? operation(raw, decoded, verb) : undefined;
  if (op !== undefined) return op;
  const [type, second, third, fourth] = decoded;
  switch (decoded.length) {
    case 0: {
      if (verb === 'POST') return { kind: 'batch', anonymous: 'never' };
      if (verb !== 'GET') return UNKNOWN;
      const types = typesOf(query);
      return { kind: 'search-system', scope: { resourceTypes: types, permission: 's' }, anonymous: 'public-types' };
    }
    case 1:
      if (type === 'metadata') return verb === 'GET' ? { kind: 'capabilities', anonymous: 'always' } : UNKNOWN;
      if (type === '_history') return verb === 'GET' ? { kind: 'history-system', anonymous: 'never' } : UNKNOWN;
      switch (verb) {
        case 'GET':
          return { kind: 'search-type', resourceType: type, scope: scope(type, 's'), anonymous: 'public-types' };
        case 'POST':
          return { kind: 'create', resourceType: type, scope: scope(type, 'c'), anonymous: 'never' };
        case 'PUT':
          return { kind: 'update', resourceType: type, conditional: true, scope: scope(type, 'u'), anonymous: 'never' };
        case 'PATCH':
          return { kind: 'patch', resourceType: type, conditional: true, scope: scope(type, 'u'), anonymous: 'never' };
        case 'DELETE':
          return { kind: 'delete', resourceType: type, conditional: true, scope: scope(type, 'd'), anonymous: 'never' };
        default:
          return UNKNOWN;
      }
    case 2:
      if (second === '_search') {
        return verb === 'POST' ? { kind: 'search-type', resourceType: type, posted: true, scope: scope(type, 's'), anonymous: 'public-types' } : UNKNOWN;
      }
      if (second === '_history') return verb === 'GET' ? { kind: 'history-type', resourceType: type, scope: scope(type, 's'), anonymous: 'never' } : UNKNOWN;
      switch (verb) {
        case 'GET':
          return { kind: 'read', resourceType: type, id: second, scope: scope(type, 'r'), anonymous: 'public-types' };
        case 'PUT':
          return { kind: 'update', resourceType: type, id: second, scope: scope(type, 'u'), anonymous: 'never' };
        case 'PATCH':
          return { kind: 'patch', resourceType: type, id: second, scope: scope(type, 'u'), anonymous: 'never' };
        case 'DELETE':
          return { kind: 'delete', resourceType: type, id: second, scope: scope(type, 'd'), anonymous: 'never' };
        default:
          return UNKNOWN;
      }
    case 3:
      if (verb !== 'GET') return UNKNOWN;
      if (third === '_history') return { kind: 'history-instance', resourceType: type, id: second, scope: scope(type, 'r'), anonymous: 'never' };
      // A Patient compartment search is a search of its type, narrowed to the patient.
      if (type === 'Patient' && ID_PATTERN.test(second) && COMPARTMENT_TARGET.test(third)) {
        return { kind: 'search-type', resourceType: third, compartment: { resourceType: 'Patient', id: second }, scope: scope(third, 's'), anonymous: 'public-types' };
      }
      return UNKNOWN;
    case 4:
      return third === '_history' && verb === 'GET'
        ? { kind: 'vread', resourceType: type, id: second, versionId: fourth, scope: scope(type, 'r'), anonymous: 'public-types' }
        : UNKNOWN;
    default:
      return UNKNOWN;
  }
}
