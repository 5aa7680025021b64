import type { Access, AccessAlternative, GrantedAccess } from '../store/access-rules';
import { forbidden, unauthorized } from './auth-errors';
import { isCompartmentType, publicLibraryFilters } from './patient-compartment';
import type { Principal } from './principal';
import { canonicalQuery, CONFORMANCE_WRITE_TYPES, scopeAppliesToType, scopeGrants, type Permission } from './scopes';

export type { Access, AccessAlternative, GrantedAccess } from '../store/access-rules';

/**
 * Types outside the Patient compartment that can still hold anyone's data: a `patient/` scope
 * does not reach them at all (other types outside the compartment are reference data).
 */
const PATIENT_SCOPE_UNREACHABLE = new Set(['Binary', 'Bundle', 'Subscription']);

const ALL: Access = { kind: 'all' };
const NONE: Access = { kind: 'none' };

/**
 * The scopes of one caller turned into decisions per (type, permission). No I/O here: the
 * decisions are checked against stored data by RequestAccess.
 *
 * Rules beyond the SMART text, chosen for this server:
 * - the public types can be read and searched by anyone, with or without a token;
 * - `patient/` scopes on a type outside the Patient compartment (Practitioner, Organization...)
 *   allow reading and searching it, never writing it; Binary, Bundle and Subscription, which
 *   can hold anyone's data, they do not reach at all; they never write the public types;
 * - `patient/` scopes without a `patient` claim in the token reach nothing of the compartment types;
 * - `user/` scopes are treated like `system/` ones: this server keeps no per-user permissions;
 * - a `*` scope does not reach AuditEvent (see scopeAppliesToType), and does not write
 *   SearchParameter or StructureDefinition (see scopeGrants).
 */
export class AccessPolicy {
  constructor(
    readonly principal: Principal | undefined,
    private readonly publicTypes: ReadonlySet<string>,
  ) {}

  get authenticated(): boolean {
    return this.principal !== undefined;
  }

  isPublic(resourceType: string): boolean {
    return this.publicTypes.has(resourceType);
  }

  /** The union of what the listed permissions reach on a type. */
  access(resourceType: string, ...permissions: Permission[]): Access {
    // Public reading reaches the library material only: of a type that can hold patient data
    // (DocumentReference), the resources marked as library material that reference no patient.
    const library = this.isPublic(resourceType) && permissions.some((p) => p === 'r' || p === 's') ? publicLibraryFilters(resourceType) : undefined;
    if (library === null) return ALL;
    const alternatives: AccessAlternative[] = library !== undefined ? [{ patient: undefined, query: undefined, filters: library, scope: 'public library material' }] : [];
    const principal = this.principal;
    if (!principal) return alternatives.length === 0 ? NONE : { kind: 'some', alternatives };
    for (const scope of principal.scopes) {
      if (!scopeAppliesToType(scope, resourceType)) continue;
      const granted = permissions.filter((p) => scope.permissions.has(p) && scopeGrants(scope, resourceType, p));
      if (granted.length === 0) continue;
      let patient: string | undefined;
      if (scope.context === 'patient') {
        // The library is not written under a patient's grant (a DocumentReference written there would be public).
        if (this.isPublic(resourceType)) continue;
        if (isCompartmentType(resourceType)) {
          if (principal.patient === undefined) continue;
          patient = principal.patient;
        } else if (PATIENT_SCOPE_UNREACHABLE.has(resourceType) || !granted.some((p) => p === 'r' || p === 's')) continue;
      }
      if (patient === undefined && scope.query === undefined) return ALL;
      const key = `${patient ?? ''}?${canonicalQuery(scope.query)}`;
      if (!alternatives.some((a) => `${a.patient ?? ''}?${canonicalQuery(a.query)}` === key)) {
        alternatives.push({ patient, query: scope.query, scope: scope.text });
      }
    }
    return alternatives.length === 0 ? NONE : { kind: 'some', alternatives };
  }

  /** Any permission at all on the type (operations, conditional criteria). */
  anyAccess(resourceType: string): Access {
    return this.access(resourceType, 'c', 'r', 'u', 'd', 's');
  }

  /**
   * The access for an interaction, or the refusal: 401 without a token (the caller may
   * retry with one), 403 with a token whose scopes do not reach the type.
   */
  require(resourceType: string, permission: Permission, what: string): GrantedAccess {
    const access = this.access(resourceType, permission);
    if (access.kind === 'none') throw this.denial(`${what} on ${resourceType} needs ${this.scopeHint(resourceType, permission)}`);
    return access;
  }

  /** Refuses unless the caller reaches every resource of the type. */
  requireUnrestricted(resourceType: string, permission: Permission, what: string): void {
    const access = this.require(resourceType, permission, what);
    if (access.kind !== 'all') {
      throw forbidden(`${what} on ${resourceType} is not available under patient/ or granular scopes; it needs ${this.scopeHint(resourceType, permission)} without a query`);
    }
  }

  denial(description: string) {
    return this.authenticated ? forbidden(description) : unauthorized(`${description}: send a bearer access token`, false);
  }

  private scopeHint(resourceType: string, permission: Permission): string {
    if (CONFORMANCE_WRITE_TYPES.has(resourceType) && permission !== 'r' && permission !== 's') return `a scope that names the type, system/${resourceType}.${permission} (a * scope does not write conformance resources)`;
    return `a scope such as system/${resourceType}.${permission} or user/${resourceType}.${permission}`;
  }
}
