import type { CodeSystem, CodeSystemConcept, ConceptMap, ValueSet } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import type { Filter, TokenFilter, TokenMatch } from '../fhir/search/search-request';
import {
  allConcepts,
  canonicalUrl,
  findConcept,
  DEFAULT_EXPANSION_LIMITS,
  Expansion,
  ExpansionError,
  ValueSetExpander,
  type ExpansionLimits,
  type TerminologySource,
} from '../fhir/terminology/value-set-expander';
import { baseDefinitions } from '../fhir/validation/base-definitions';
import type { Repository } from '../store/repository';
import type { SearchService } from './search-service';

type Definition = ValueSet | CodeSystem | ConceptMap;

/**
 * The stored resource of a type with this canonical URL (`url|version` picks that version).
 * Definitions are looked up with the server's authority: a search with `:in` expands its value
 * set whatever the caller's scopes on ValueSet.
 */
export async function findByUrl<T extends Definition>(store: Repository, search: SearchService, type: T['resourceType'], canonical: string): Promise<T | undefined> {
  const [url, version] = canonical.split('|');
  const params: [string, string][] = [['url', url]];
  if (version !== undefined && version !== '') params.push(['version', version]);
  const { request } = search.parse([type], params, true);
  const rows = await store.system().searchPage({ resourceTypes: [type], filters: request.filters, sort: [], limit: 1 });
  return rows.length > 0 ? (JSON.parse(rows[0].content) as T) : undefined;
}

let coreTerminology: Map<string, ValueSet | CodeSystem> | undefined;

/** The R4 core value sets and code systems (read once, when first needed). */
function coreDefinition(url: string): ValueSet | CodeSystem | undefined {
  coreTerminology ??= new Map(baseDefinitions().terminology.filter((r) => r.url).map((r) => [r.url!, r]));
  return coreTerminology.get(url);
}

/**
 * The terminology one request needs, read from the database (then the R4 core) before the
 * synchronous expander runs: the value set, every value set it imports at any depth (at most
 * the expansion's limit of value sets, each read once, so a cycle ends), and the code systems
 * included whole or by filter.
 */
export class StoredTerminology implements TerminologySource {
  private readonly valueSets = new Map<string, ValueSet | undefined>();
  private readonly codeSystems = new Map<string, CodeSystem | undefined>();

  constructor(
    private readonly store: Repository,
    private readonly search: SearchService,
    private readonly limits: ExpansionLimits = DEFAULT_EXPANSION_LIMITS,
  ) {}

  valueSet(url: string): ValueSet | undefined {
    return this.valueSets.get(url);
  }

  codeSystem(url: string): CodeSystem | undefined {
    return this.codeSystems.get(url);
  }

  /** Reads what expanding this value set (by URL or as a resource) needs. */
  async load(root: string | ValueSet): Promise<void> {
    const queue: ValueSet[] = [];
    const visit = async (canonical: string) => {
      const url = canonicalUrl(canonical);
      if (this.valueSets.has(url)) return;
      if (this.valueSets.size >= this.limits.maxValueSets) {
        throw new ExpansionError('too-costly', `The expansion imports more than ${this.limits.maxValueSets} value sets`);
      }
      const found = (await findByUrl<ValueSet>(this.store, this.search, 'ValueSet', url)) ?? asValueSet(coreDefinition(url));
      this.valueSets.set(url, found);
      if (found) queue.push(found);
    };
    if (typeof root === 'string') await visit(root);
    else queue.push(root);
    while (queue.length > 0) {
      const valueSet = queue.shift()!;
      for (const include of [...(valueSet.compose?.include ?? []), ...(valueSet.compose?.exclude ?? [])]) {
        for (const imported of include.valueSet ?? []) await visit(imported);
        if (include.system && !include.concept) await this.loadCodeSystem(include.system);
      }
    }
  }

  /** The code system with this URL, stored or core (undefined when the server does not hold it). */
  async loadCodeSystem(canonical: string): Promise<CodeSystem | undefined> {
    const url = canonicalUrl(canonical);
    if (!this.codeSystems.has(url)) {
      this.codeSystems.set(url, await findCodeSystem(this.store, this.search, url));
    }
    return this.codeSystems.get(url);
  }

  /** Expands a value set given by URL or as a resource. Throws ExpansionError. */
  async expand(root: string | ValueSet): Promise<Expansion> {
    await this.load(root);
    const expander = new ValueSetExpander(this, this.limits);
    return typeof root === 'string' ? expander.expand(root) : expander.expandValueSet(root);
  }
}

/** An R4 core value set (administrative-gender, ...). */
export function coreValueSet(url: string): ValueSet | undefined {
  return asValueSet(coreDefinition(url));
}

/** A stored code system, or an R4 core one. */
export async function findCodeSystem(store: Repository, search: SearchService, url: string): Promise<CodeSystem | undefined> {
  return (await findByUrl<CodeSystem>(store, search, 'CodeSystem', url)) ?? asCodeSystem(coreDefinition(canonicalUrl(url)));
}

function asValueSet(resource: ValueSet | CodeSystem | undefined): ValueSet | undefined {
  return resource?.resourceType === 'ValueSet' ? resource : undefined;
}

function asCodeSystem(resource: ValueSet | CodeSystem | undefined): CodeSystem | undefined {
  return resource?.resourceType === 'CodeSystem' ? resource : undefined;
}

/** The token values an `:in` / `:not-in` search matches: each enumerated code, and whole open systems by system. */
async function valueSetMatches(store: Repository, search: SearchService, filter: TokenFilter): Promise<TokenMatch[]> {
  const matches: TokenMatch[] = [];
  for (const canonical of filter.valueSets) {
    let expansion: Expansion;
    try {
      expansion = await new StoredTerminology(store, search).expand(canonical);
    } catch (error) {
      if (error instanceof ExpansionError) throw error.toFhirError(`${filter.param}:${filter.modifier}`);
      throw error;
    }
    for (const system of expansion.openSystems) matches.push({ system, code: undefined });
    for (const concept of expansion.concepts) matches.push({ system: concept.system, code: concept.code });
  }
  return matches;
}

/** The codes on the path from a root of the hierarchy down to this code (for :above). */
function ancestors(concepts: CodeSystemConcept[] | undefined, code: string, path: string[] = []): string[] | undefined {
  for (const c of concepts ?? []) {
    if (c.code === code) return [...path, c.code];
    const found = ancestors(c.concept, code, [...path, c.code]);
    if (found) return found;
  }
  return undefined;
}

async function hierarchy(store: Repository, search: SearchService, filter: TokenFilter): Promise<TokenMatch[]> {
  const out: TokenMatch[] = [];
  for (const value of filter.values) {
    if (typeof value.system !== 'string' || value.code === undefined) {
      throw FhirError.badRequest(`:${filter.modifier} needs system|code`, `${filter.param}:${filter.modifier}`);
    }
    const cs = await findByUrl<CodeSystem>(store, search, 'CodeSystem', value.system);
    if (!cs) {
      out.push(value);
      continue;
    }
    if (filter.modifier === 'below') {
      const root = findConcept(cs.concept ?? [], value.code);
      const codes = root ? [root.code, ...allConcepts(root.concept ?? []).map((c) => c.code)] : [value.code];
      out.push(...codes.map((code) => ({ system: value.system, code })));
    } else {
      const codes = ancestors(cs.concept, value.code) ?? [value.code];
      out.push(...codes.map((code) => ({ system: value.system, code })));
    }
  }
  return out;
}

/** Turns :in, :not-in, :below and :above into plain code lists, recursively through chains. */
export async function expandTokenFilters(store: Repository, search: SearchService, filters: Filter[]): Promise<Filter[]> {
  const out: Filter[] = [];
  for (const filter of filters) {
    if (filter.kind === 'token' && (filter.modifier === 'in' || filter.modifier === 'not-in')) {
      out.push({ ...filter, values: await valueSetMatches(store, search, filter), valueSets: [] });
    } else if (filter.kind === 'token' && (filter.modifier === 'below' || filter.modifier === 'above')) {
      out.push({ ...filter, modifier: 'none', values: await hierarchy(store, search, filter) });
    } else if (filter.kind === 'chain' || filter.kind === 'has') {
      const [inner] = await expandTokenFilters(store, search, [filter.filter]);
      out.push({ ...filter, filter: inner });
    } else out.push(filter);
  }
  return out;
}
