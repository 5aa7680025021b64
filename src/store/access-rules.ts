import type { Resource } from 'fhir/r4';
import type { Filter, SearchRequest } from '../fhir/search/search-request';
import type { HistoryQuery, HistoryRow } from './resource-store';
import type { Repository } from './repository';

/** SMART v2 permissions: create, read, update, delete, search. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

/** One way a grant reaches resources of a type: within a patient's compartment, matching a query, or both. */
export interface AccessAlternative {
  /** Confined to the compartment of this patient. */
  patient: string | undefined;
  /** SMART v2 granular constraint (`patient/Task.rs?status=requested`). */
  query: [string, string][] | undefined;
  /** Filters of the server's own making (public library material: a library profile, no patient referenced). */
  filters?: Filter[];
  /** The scope it comes from, for messages. */
  scope: string;
}

/**
 * What a caller may reach of one type for some permission: everything, nothing, or the
 * resources matching at least one alternative.
 */
export type Access = { kind: 'all' } | { kind: 'none' } | { kind: 'some'; alternatives: AccessAlternative[] };

/** An Access that reaches something. */
export type GrantedAccess = Exclude<Access, { kind: 'none' }>;

/** A row a search found: a match of the search, or a resource included with them. */
export interface FoundRow {
  resourceType: string;
  id: string;
  /** Null for an included row read past the page's byte budget. */
  content: string | null;
}

/**
 * The access policy of one Repository: what its caller may read, search and write. The
 * Repository asks it on every method (store/repository.ts); the checks that need stored data
 * get the Repository's system view of the same connection to read with. The server's own work
 * runs under SYSTEM_ACCESS, which reaches everything; a request under authorization runs under
 * the policy derived from its token (auth/request-access.ts).
 */
export interface AccessRules {
  /** Reaches every resource with every permission: nothing to check. */
  readonly unrestricted: boolean;
  /** Whether some resources of the type are reachable with the permission. */
  reaches(resourceType: string, permission: Permission): boolean;
  /** Whether every resource of the type is reachable with the permission. */
  reachesAll(resourceType: string, permission: Permission): boolean;
  /** Refuses (401 without a token, 403 with one) unless some resources of the type are reachable. */
  requireType(resourceType: string, permission: Permission, what: string): void;
  /** Refuses unless every resource of the type is reachable with the permission. */
  requireEvery(resourceType: string, permission: Permission, what: string): void;
  /** Whether a stored resource (its current row) is within what the permission reaches. */
  meets(resource: Resource, permission: Permission, system: Repository): Promise<boolean>;
  /** Notes a resource as read by the caller (the audit trail). */
  touch(resource: Resource, version?: number): void;
  /** Checks a history query; the filter of its rows, or undefined for every row. */
  historyFilter(query: Pick<HistoryQuery, 'resourceType' | 'id'>, system: Repository): Promise<((row: HistoryRow) => boolean) | undefined>;
  /** Checks a search as a whole before it runs (its types, its includes). */
  checkSearch(request: SearchRequest): void;
  /**
   * The filters of a search of these types confined to the grant: extra filters for restricted
   * types, chains and _has resolved within it. `criteria` (conditional interactions) reaches what
   * any permission reaches; the write it leads to is checked again.
   */
  confine(resourceTypes: string[], filters: Filter[], purpose: 'search' | 'criteria', system: Repository): Promise<Filter[]>;
  /** Of the rows a search found (matches need `s`; included rows `r` or `s`), those within reach, noted as read. */
  keepFound<T extends FoundRow>(rows: T[], mode: 'match' | 'include', system: Repository): Promise<T[]>;
  /** Before writing `resource` (its new content) with a permission: refuses (403) what is outside. */
  assertWritable(resource: Resource, permission: Permission, system: Repository): Promise<void>;
  /** The refusal of something outside the grant: 403 with a token, 401 without. */
  denial(description: string): Error;
}

/** The server's own authority: every resource, every permission, nothing noted. */
export const SYSTEM_ACCESS: AccessRules = {
  unrestricted: true,
  reaches: () => true,
  reachesAll: () => true,
  requireType: () => undefined,
  requireEvery: () => undefined,
  meets: async () => true,
  touch: () => undefined,
  historyFilter: async () => undefined,
  checkSearch: () => undefined,
  confine: async (_types, filters) => filters,
  keepFound: async (rows) => rows,
  assertWritable: async () => undefined,
  denial: (description) => new Error(description),
};
