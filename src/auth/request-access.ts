import type { Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { RESOURCE_TYPES } from '../fhir/resource-types';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { Filter, IdFilter, SearchRequest } from '../fhir/search/search-request';
import type { SearchService } from '../services/search-service';
import { expandTokenFilters } from '../services/terminology-service';
import type { Access, AccessAlternative, AccessRules, FoundRow, Permission } from '../store/access-rules';
import { accessCondition, compartmentCondition, FALSE, type Condition } from '../store/access-sql';
import type { HistoryQuery, HistoryRow, Repository } from '../store/repository';
import { and, compileFilter } from '../store/search/compile-filter';
import type { AccessPolicy } from './access-policy';
import type { RequestAudit } from './audit';
import { forbidden } from './auth-errors';
import { compartmentParams, compartmentPatients, isCompartmentType, localReferences } from './patient-compartment';

/** Most resources an access check turns into an id list (a compartment, a chain's targets). */
const MAX_MATERIALIZED = 10_000;

export interface RequestAccessDependencies {
  extractor: IndexValueExtractor;
  /** Parses granular scope queries and expands their terminology, exactly like a search. */
  search: SearchService;
  baseUrl: string;
}

/** An alternative whose granular query could not be parsed grants nothing. */
interface ResolvedAlternative extends AccessAlternative {
  filters: Filter[];
}

function idFilter(ids: string[]): IdFilter {
  // An empty id list would mean `_id:missing` to the compiler; '' is no valid id, so it matches nothing.
  return { kind: 'id', values: ids.length > 0 ? ids : [''], not: false };
}

function tooBroad(what: string): FhirError {
  return FhirError.of(400, 'too-costly', `${what} reaches more than ${MAX_MATERIALIZED} resources under this grant; narrow it`);
}

/**
 * The authorization of one request: the caller's AccessPolicy checked against stored data,
 * as the access rules of the request's Repository. Reads outside the grant are 404 (their
 * existence is not revealed), searches are narrowed with extra filters, included resources
 * are filtered, writes outside are 403. The `store` each check is handed is the repository's
 * system view: the checks read what they check.
 */
export class RequestAccess implements AccessRules {
  readonly unrestricted = false;

  constructor(
    readonly policy: AccessPolicy,
    readonly audit: RequestAudit,
    private readonly deps: RequestAccessDependencies,
  ) {}

  get baseUrl(): string {
    return this.deps.baseUrl;
  }

  /** Patients whose compartment holds a resource (for the audit trail and compartment checks). */
  patientsOf(resource: Resource): Set<string> {
    return compartmentPatients(resource, this.deps.extractor, this.deps.baseUrl);
  }

  /** Notes a resource as touched by this request. */
  touch(resource: Resource, version?: number): void {
    const reference = `${resource.resourceType}/${resource.id}${version !== undefined ? `/_history/${version}` : ''}`;
    const isPublic = this.policy.isPublic(resource.resourceType);
    this.audit.touch(reference, isPublic, () => (isPublic ? [] : this.patientsOf(resource)));
  }

  private async resolve(store: Repository, resourceType: string, alternatives: AccessAlternative[]): Promise<ResolvedAlternative[]> {
    const resolved: ResolvedAlternative[] = [];
    for (const alt of alternatives) {
      if (alt.query === undefined) {
        resolved.push({ ...alt, filters: alt.filters ?? [] });
        continue;
      }
      try {
        const { request } = this.deps.search.parse([resourceType], alt.query, true);
        // A constraint must constrain: result parameters (_count, _include, _sort...) alone do not.
        const resultParameters = request.includes.length > 0 || request.sort.length > 0 || request.summary !== undefined || request.elements !== undefined;
        if (request.filters.length === 0 || resultParameters) continue;
        resolved.push({ ...alt, filters: await expandTokenFilters(store, this.deps.search, request.filters) });
      } catch (error) {
        if (!(error instanceof FhirError)) throw error;
        // A granular scope this server cannot evaluate grants nothing (fail closed).
      }
    }
    return resolved;
  }

  /** SQL condition on `r` for an access (granular queries parsed and expanded). */
  async condition(store: Repository, resourceType: string, access: Access): Promise<Condition> {
    if (access.kind !== 'some') return accessCondition(resourceType, access, [], this.baseUrl);
    const resolved = await this.resolve(store, resourceType, access.alternatives);
    return accessCondition(resourceType, { kind: 'some', alternatives: resolved }, resolved.map((a) => a.filters), this.baseUrl);
  }

  /**
   * Whether the stored resource `resourceType/id`, whose content is `resource`, is within the
   * access: compartment membership from the content, granular queries against its index rows.
   */
  async storedMeets(store: Repository, resource: Resource, access: Access): Promise<boolean> {
    if (access.kind !== 'some') return access.kind === 'all';
    let patients: Set<string> | undefined;
    for (const alt of await this.resolve(store, resource.resourceType, access.alternatives)) {
      if (alt.patient !== undefined) {
        patients ??= this.patientsOf(resource);
        if (!patients.has(alt.patient)) continue;
      }
      if (alt.filters.length === 0) return true;
      const condition = and(alt.filters.map((f) => compileFilter(f, [resource.resourceType], 'r')));
      if (await store.rowMeets(resource.resourceType, resource.id!, condition)) return true;
    }
    return false;
  }

  /** Before a write: a resource that no alternative's compartment holds is refused at once. */
  assertWithinCompartment(resource: Resource, access: Access, what: string): void {
    if (access.kind !== 'some' || access.alternatives.some((a) => a.patient === undefined)) return;
    const patients = this.patientsOf(resource);
    if (!access.alternatives.some((a) => patients.has(a.patient!))) {
      throw forbidden(`${what}: ${resource.resourceType} is outside the compartment of the patient in context`);
    }
  }

  /**
   * Under patient scopes, before a write: every local reference the resource holds (any
   * element, contained resources included) names the patient in context when it names a
   * Patient, and a resource of the Patient compartment only when that resource belongs to no
   * other patient. So a write cannot place anything in, or point anything at, another
   * patient's compartment, and the server's hooks that follow it act for this patient only.
   */
  async assertReferencesWithin(store: Repository, resource: Resource, access: Access, what: string): Promise<void> {
    if (access.kind !== 'some' || access.alternatives.some((a) => a.patient === undefined)) return;
    const allowed = new Set(access.alternatives.map((a) => a.patient!));
    const others: { resourceType: string; id: string; path: string }[] = [];
    for (const ref of localReferences(resource, this.baseUrl)) {
      if (ref.resourceType === 'Patient') {
        if (!allowed.has(ref.id)) throw forbidden(`${what}: ${ref.path} references Patient/${ref.id}, outside the compartment of the patient in context`);
      } else if (isCompartmentType(ref.resourceType)) others.push(ref);
    }
    if (others.length === 0) return;
    const rows = await store.readMany(others.map(({ resourceType, id }) => ({ resourceType, id })));
    for (const row of rows) {
      const patients = this.patientsOf(JSON.parse(row.content) as Resource);
      if ([...patients].some((p) => !allowed.has(p))) {
        const ref = others.find((o) => o.resourceType === row.resourceType && o.id === row.id)!;
        throw forbidden(`${what}: ${ref.path} references ${row.resourceType}/${row.id}, which belongs to another patient's compartment`);
      }
    }
  }

  // ---- search ----

  /** The access of a searched type: `s`, or for conditional criteria any permission (the write they lead to is checked again). */
  private searchAccess(resourceType: string, purpose: 'search' | 'criteria'): Access {
    if (purpose === 'search') return this.policy.require(resourceType, 's', 'Search');
    const access = this.policy.anyAccess(resourceType);
    if (access.kind === 'none') this.policy.require(resourceType, 's', 'Conditional criteria');
    return access;
  }

  /** Before a search runs: `s` on every searched type, and `:iterate` only for a grant that sees everything. */
  checkSearch(request: SearchRequest): void {
    for (const t of request.resourceTypes) this.searchAccess(t, 'search');
    // :iterate follows references out of included resources before they are filtered, so it
    // could walk through a resource the caller may not see: only for a grant that sees everything.
    if (request.includes.some((i) => i.iterate) && ![...RESOURCE_TYPES].every((t) => this.policy.access(t, 'r', 's').kind === 'all')) {
      throw this.policy.denial('_include:iterate and _revinclude:iterate need a grant that reads every type (AuditEvent included)');
    }
    this.audit.query ??= new URLSearchParams(request.applied).toString();
  }

  /**
   * Narrows the filters of a search to the grant: checks `s` on every searched, chained and
   * _has type, confines restricted types with extra filters, and rewrites chains and _has
   * into restricted types so that they only ever match through resources within the grant.
   */
  async confine(resourceTypes: string[], requested: Filter[], purpose: 'search' | 'criteria', store: Repository): Promise<Filter[]> {
    const accesses = resourceTypes.map((t) => [t, this.searchAccess(t, purpose)] as const);
    const restricted = accesses.filter(([, a]) => a.kind === 'some');
    // The public-library restriction is type-agnostic conditions (a library profile, no Patient referenced), so it
    // applies to a search across types as well; a patient or query restriction does not.
    const libraryOnly = (a: Access) => a.kind === 'some' && a.alternatives.every((alt) => alt.patient === undefined && alt.query === undefined);
    if (resourceTypes.length > 1 && restricted.some(([, a]) => !libraryOnly(a))) {
      throw forbidden('Under patient/ or granular scopes, search one resource type at a time (not several with _type)');
    }
    const filters: Filter[] = [];
    for (const f of requested) filters.push(await this.narrowFilter(store, f));
    for (const [type, access] of restricted) filters.push(...(await this.restrictionFilters(store, type, access)));
    return filters;
  }

  /** Filters confining a search of one type to a restricted access. */
  private async restrictionFilters(store: Repository, resourceType: string, access: Access): Promise<Filter[]> {
    if (access.kind !== 'some') return [];
    const resolved = await this.resolve(store, resourceType, access.alternatives);
    if (resolved.length === 1) {
      const [alt] = resolved;
      const out: Filter[] = [...alt.filters];
      if (alt.patient !== undefined) {
        const params = compartmentParams(resourceType);
        if (resourceType !== 'Patient' && params.length > 0) {
          // One condition on the reference index, whatever the number of parameters: no id list
          // that other patients' resources could grow past the materialization limit.
          out.push({ kind: 'reference', param: params[0], anyOfParams: params, values: [{ targetType: 'Patient', id: alt.patient, localBase: this.baseUrl }] });
        } else {
          out.push(idFilter(await this.materialize(store, resourceType, compartmentCondition(resourceType, alt.patient, this.baseUrl), 'The patient compartment')));
        }
      }
      return out;
    }
    const condition = accessCondition(resourceType, { kind: 'some', alternatives: resolved }, resolved.map((a) => a.filters), this.baseUrl);
    return [idFilter(await this.materialize(store, resourceType, condition, 'The grant'))];
  }

  private async materialize(store: Repository, resourceType: string, condition: Condition, what: string): Promise<string[]> {
    const ids = await store.idsMeeting(resourceType, condition, MAX_MATERIALIZED);
    if (ids.length > MAX_MATERIALIZED) throw tooBroad(what);
    return ids;
  }

  private async narrowFilter(store: Repository, filter: Filter): Promise<Filter> {
    if (filter.kind === 'chain') {
      const searchable = filter.targetTypes.filter((t) => this.policy.access(t, 's').kind !== 'none');
      if (searchable.length === 0) this.policy.require(filter.targetTypes[0], 's', 'Chained search');
      const inner = await this.narrowFilter(store, filter.filter);
      const accesses = new Map(searchable.map((t) => [t, this.policy.access(t, 's')]));
      if ([...accesses.values()].every((a) => a.kind === 'all')) return { ...filter, targetTypes: searchable, filter: inner };
      // Resolve the chain here, within the grant, into a plain reference filter.
      const [expanded] = await expandTokenFilters(store, this.deps.search, [inner]);
      const conditions = new Map<string, Condition>();
      for (const [t, a] of accesses) conditions.set(t, await this.condition(store, t, a));
      const targets = await store.typedIdsMeeting(searchable, expanded, (t) => conditions.get(t) ?? FALSE, MAX_MATERIALIZED);
      if (targets.length > MAX_MATERIALIZED) throw tooBroad(`The chained parameter ${filter.param}`);
      return {
        kind: 'reference',
        param: filter.param,
        values: targets.map((t) => ({ targetType: t.resourceType, id: t.id, localBase: filter.localBase })),
      };
    }
    if (filter.kind === 'has') {
      const access = this.policy.require(filter.sourceType, 's', 'Reverse chaining (_has)');
      const inner = await this.narrowFilter(store, filter.filter);
      if (access.kind === 'all') return { ...filter, filter: inner };
      const [expanded] = await expandTokenFilters(store, this.deps.search, [inner]);
      const condition = and([compileFilter(expanded, [filter.sourceType], 'r'), await this.condition(store, filter.sourceType, access)]);
      return { ...filter, filter: idFilter(await this.materialize(store, filter.sourceType, condition, `_has:${filter.sourceType}`)) };
    }
    return filter;
  }

  /**
   * Of the rows a search found, those the caller may see: matches need `s`, included resources
   * `r` or `s`, and restricted types are checked against the database. Notes them for the audit trail.
   */
  async keepFound<T extends FoundRow>(rows: T[], mode: 'match' | 'include', store: Repository): Promise<T[]> {
    if (rows.length === 0) return rows;
    // Matches of the public types found without a token: the search's own filters confined them.
    if (mode === 'match' && !this.policy.authenticated && rows.every((r) => this.policy.isPublic(r.resourceType))) return rows;
    const permissions: Permission[] = mode === 'match' ? ['s'] : ['r', 's'];
    const keep = new Set<T>();
    const byType = new Map<string, T[]>();
    for (const row of rows) byType.set(row.resourceType, [...(byType.get(row.resourceType) ?? []), row]);
    for (const [resourceType, group] of byType) {
      const access = this.policy.access(resourceType, ...permissions);
      if (access.kind === 'all') for (const row of group) keep.add(row);
      if (access.kind !== 'some') continue;
      const condition = await this.condition(store, resourceType, access);
      const allowed = await store.idsAmongMeeting(resourceType, group.map((row) => row.id), condition);
      for (const row of group) if (allowed.has(row.id)) keep.add(row);
    }
    const kept = keep.size === rows.length ? rows : rows.filter((row) => keep.has(row));
    for (const row of kept) {
      // A row past the page's byte budget is not shown: it only ends the page.
      if (row.content === null) continue;
      const isPublic = this.policy.isPublic(row.resourceType);
      const content = row.content;
      this.audit.touch(`${row.resourceType}/${row.id}`, isPublic, () => (isPublic ? [] : this.patientsOf(JSON.parse(content) as Resource)));
    }
    return kept;
  }

  // ---- the rest of the repository's rules ----

  reaches(resourceType: string, permission: Permission): boolean {
    return this.policy.access(resourceType, permission).kind !== 'none';
  }

  reachesAll(resourceType: string, permission: Permission): boolean {
    return this.policy.access(resourceType, permission).kind === 'all';
  }

  requireType(resourceType: string, permission: Permission, what: string): void {
    this.policy.require(resourceType, permission, what);
  }

  requireEvery(resourceType: string, permission: Permission, what: string): void {
    this.policy.requireUnrestricted(resourceType, permission, what);
  }

  async meets(resource: Resource, permission: Permission, store: Repository): Promise<boolean> {
    return this.storedMeets(store, resource, this.policy.access(resource.resourceType, permission));
  }

  /** The new content of a write stays within the compartment of the patient in context. */
  async assertWritable(resource: Resource, permission: Permission): Promise<void> {
    this.assertWithinCompartment(resource, this.policy.access(resource.resourceType, permission), permission === 'c' ? 'Create' : 'Update');
  }

  denial(description: string): Error {
    return this.policy.denial(description);
  }

  // ---- history ----

  /**
   * The check for a history query and the filter of its rows: instance history needs `r`
   * and the resource within the grant (versions outside the patient's compartment are
   * left out); type and system history need `s` over every resource of the types.
   */
  async historyFilter(query: Pick<HistoryQuery, 'resourceType' | 'id'>, store: Repository): Promise<((row: HistoryRow) => boolean) | undefined> {
    const { resourceType, id } = query;
    // Reading and searching the public types is open; their history is not.
    if (!this.policy.authenticated) throw this.policy.denial('History');
    if (resourceType === undefined) {
      for (const t of RESOURCE_TYPES) this.policy.requireUnrestricted(t, 's', 'System history');
      return undefined;
    }
    if (id === undefined) {
      this.policy.requireUnrestricted(resourceType, 's', 'Type history');
      return undefined;
    }
    const access = this.policy.require(resourceType, 'r', 'Reading history');
    if (access.kind === 'all') return undefined;
    const current = await store.read(resourceType, id);
    if (!current) return undefined;
    const resource = JSON.parse(current.content) as Resource;
    if (!(await this.storedMeets(store, resource, access))) throw FhirError.notFound(`${resourceType}/${id} is not known`);
    const patients = access.alternatives.map((a) => a.patient);
    if (patients.some((p) => p === undefined)) return undefined;
    return (row) => {
      if (row.content === null) return true;
      const inVersion = this.patientsOf(JSON.parse(row.content) as Resource);
      return patients.some((p) => inVersion.has(p!));
    };
  }
}
