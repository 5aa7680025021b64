import { classify, FHIR_METHODS } from '../fhir/interaction';

const TYPE = /^[A-Z][A-Za-z]+$/;

/** Kinds that change a stored resource: never allowed on AuditEvents (append-only). */
const CHANGES = new Set(['update', 'patch', 'delete']);

/**
 * The methods the FHIR router answers at a path under the FHIR base (`/Patient/1`), for the
 * `Allow` header every 405 carries (RFC 9110 §15.5.6): those the route table (classify) gives an
 * interaction. An empty list: no method at all.
 */
export function allowedMethods(path: string): string[] {
  return FHIR_METHODS.filter((method) => {
    const i = classify(method, path);
    if (i.kind === 'unknown') return false;
    if (i.resourceType !== undefined && !TYPE.test(i.resourceType)) return false;
    return !(i.resourceType === 'AuditEvent' && CHANGES.has(i.kind));
  });
}

/** The `Allow` header of a 405 at that path. */
export function allowHeader(path: string): Record<string, string> {
  return { Allow: allowedMethods(path).join(', ') };
}
