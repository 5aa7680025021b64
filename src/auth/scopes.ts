import { isResourceType } from '../fhir/resource-types';

/** SMART v2 permissions, in the order the scope syntax requires (`.cruds`). */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

/** Whose data a scope reaches: the patient in context, what the user may see, or the client's policy. */
export type ScopeContext = 'patient' | 'user' | 'system';

/** One clinical-data scope, e.g. `patient/Task.rs?status=requested`. */
export interface ResourceScope {
  /** The scope as written (v1 forms kept as they were requested). */
  text: string;
  context: ScopeContext;
  /** A resource type, or `*` for every type. */
  resourceType: string;
  permissions: ReadonlySet<Permission>;
  /** The granular constraint (`?param=value&...`) as ordered pairs; undefined when none. */
  query: [string, string][] | undefined;
}

const SCOPE_PATTERN = /^(patient|user|system)\/([A-Za-z]+|\*)\.([A-Za-z*]+)(?:\?(.*))?$/;

/** SMART App Launch 2, scopes-and-launch-context.html: the v1 suffixes mean these v2 permissions. */
const V1_PERMISSIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

/**
 * Parses one clinical scope. Undefined for anything else (`openid`, `launch/patient`, ...)
 * and for malformed ones: out-of-order or unknown permissions (`.dus`), unknown types,
 * an empty query. The spec lets a server ignore such requests; ignoring grants nothing.
 */
export function parseResourceScope(text: string): ResourceScope | undefined {
  const match = SCOPE_PATTERN.exec(text);
  if (!match) return undefined;
  const [, context, resourceType, suffix, queryText] = match;
  if (resourceType !== '*' && !isResourceType(resourceType)) return undefined;
  const v1 = V1_PERMISSIONS[suffix];
  let letters: string;
  if (v1 !== undefined) {
    // v1 scopes have no granular form.
    if (queryText !== undefined) return undefined;
    letters = v1;
  } else {
    if (suffix === '' || !/^c?r?u?d?s?$/.test(suffix)) return undefined;
    letters = suffix;
  }
  let query: [string, string][] | undefined;
  if (queryText !== undefined) {
    query = [...new URLSearchParams(queryText)];
    if (query.length === 0 || query.some(([k, v]) => k === '' || v === '')) return undefined;
  }
  return {
    text,
    context: context as ScopeContext,
    resourceType,
    permissions: new Set(letters.split('') as Permission[]),
    query,
  };
}

/** Splits a space-separated scope string into clinical scopes and the rest. */
export function parseScopes(scope: string | readonly string[] | undefined): { resources: ResourceScope[]; other: string[] } {
  const items = (typeof scope === 'string' ? scope.split(/\s+/) : [...(scope ?? [])]).filter((s) => s !== '');
  const resources: ResourceScope[] = [];
  const other: string[] = [];
  for (const item of items) {
    const parsed = parseResourceScope(item);
    if (parsed) resources.push(parsed);
    else other.push(item);
  }
  return { resources, other };
}

/** Query pairs in a canonical order, for comparing two granular constraints. */
export function canonicalQuery(query: [string, string][] | undefined): string {
  if (query === undefined) return '';
  return [...query]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
}

/**
 * A wildcard type scope reaches every type except AuditEvent: the audit trail is readable
 * only with a scope that names it.
 */
export function scopeAppliesToType(scope: Pick<ResourceScope, 'resourceType'>, resourceType: string): boolean {
  if (scope.resourceType === resourceType) return true;
  return scope.resourceType === '*' && resourceType !== 'AuditEvent';
}

/**
 * Conformance resources that change how the server indexes, searches and validates (and so
 * who is in which compartment): writing them needs a scope that names the type
 * (`system/SearchParameter.cu`); a `*` scope reads them but does not write them.
 */
export const CONFORMANCE_WRITE_TYPES: ReadonlySet<string> = new Set(['SearchParameter', 'StructureDefinition']);

/** Whether a scope's permission reaches a type: a `*` scope writes no conformance resource. */
export function scopeGrants(scope: Pick<ResourceScope, 'resourceType'>, resourceType: string, permission: Permission): boolean {
  if (!scopeAppliesToType(scope, resourceType)) return false;
  return scope.resourceType !== '*' || permission === 'r' || permission === 's' || !CONFORMANCE_WRITE_TYPES.has(resourceType);
}

/**
 * True when `allowed` (a scope a client was registered with) covers all of `requested`:
 * same context, type covered, no permission beyond it, and a granular constraint that is
 * absent from `allowed` or identical to the one requested.
 */
export function scopeCovers(allowed: ResourceScope, requested: ResourceScope): boolean {
  if (allowed.context !== requested.context) return false;
  if (requested.resourceType === '*' ? allowed.resourceType !== '*' : !scopeAppliesToType(allowed, requested.resourceType)) return false;
  for (const p of requested.permissions) {
    if (!allowed.permissions.has(p)) return false;
    if (requested.resourceType !== '*' && !scopeGrants(allowed, requested.resourceType, p)) return false;
  }
  if (allowed.query === undefined) return true;
  return canonicalQuery(allowed.query) === canonicalQuery(requested.query);
}
