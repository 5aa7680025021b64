import type { CodeSystem, CodeSystemConcept, ValueSet } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import type { Filter, TokenFilter, TokenMatch } from '../fhir/search/search-request';
import type { ResourceStore } from '../store/resource-store';
import { searchPage } from '../store/search/search-query';
import type { SearchService } from './search-service';

async function findByUrl<T>(store: ResourceStore, search: SearchService, type: string, canonical: string): Promise<T | undefined> {
  const [url, version] = canonical.split('|');
  const params: [string, string][] = [['url', url]];
  if (version !== undefined) params.push(['version', version]);
  const { request } = search.parse([type], params, true);
  const rows = await searchPage(store.db, { resourceTypes: [type], filters: request.filters, sort: [], limit: 1 });
  return rows.length > 0 ? (JSON.parse(rows[0].content) as T) : undefined;
}

function flatten(concepts: CodeSystemConcept[] | undefined): CodeSystemConcept[] {
  return (concepts ?? []).flatMap((c) => [c, ...flatten(c.concept)]);
}

function descendants(concept: CodeSystemConcept): string[] {
  return [concept.code, ...(concept.concept ?? []).flatMap(descendants)];
}

function ancestors(concepts: CodeSystemConcept[] | undefined, code: string, path: string[] = []): string[] | undefined {
  for (const c of concepts ?? []) {
    if (c.code === code) return [...path, c.code];
    const found = ancestors(c.concept, code, [...path, c.code]);
    if (found) return found;
  }
  return undefined;
}

/** Codes of a stored ValueSet: its expansion, or its compose (concept lists, whole systems, is-a). */
async function expandValueSet(store: ResourceStore, search: SearchService, canonical: string): Promise<TokenMatch[]> {
  const vs = await findByUrl<ValueSet>(store, search, 'ValueSet', canonical);
  if (!vs) throw FhirError.badRequest(`ValueSet ${canonical} is not known to this server`);
  if (vs.expansion?.contains) {
    return vs.expansion.contains.filter((c) => c.code !== undefined).map((c) => ({ system: c.system ?? undefined, code: c.code }));
  }
  const matches: TokenMatch[] = [];
  for (const include of vs.compose?.include ?? []) {
    if (include.valueSet) for (const nested of include.valueSet) matches.push(...(await expandValueSet(store, search, nested)));
    if (!include.system) continue;
    if (include.concept) {
      matches.push(...include.concept.map((c) => ({ system: include.system, code: c.code })));
    } else if (include.filter) {
      const cs = await findByUrl<CodeSystem>(store, search, 'CodeSystem', include.system);
      for (const f of include.filter) {
        if ((f.op === 'is-a' || f.op === 'descendent-of') && f.property === 'concept' && cs) {
          const root = flatten(cs.concept).find((c) => c.code === f.value);
          if (root) {
            const codes = descendants(root).filter((c) => f.op === 'is-a' || c !== f.value);
            matches.push(...codes.map((code) => ({ system: include.system, code })));
          }
        }
      }
    } else {
      matches.push({ system: include.system, code: undefined });
    }
  }
  return matches;
}

async function hierarchy(store: ResourceStore, search: SearchService, filter: TokenFilter): Promise<TokenMatch[]> {
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
      const root = flatten(cs.concept).find((c) => c.code === value.code);
      const codes = root ? descendants(root) : [value.code];
      out.push(...codes.map((code) => ({ system: value.system, code })));
    } else {
      const codes = ancestors(cs.concept, value.code) ?? [value.code];
      out.push(...codes.map((code) => ({ system: value.system, code })));
    }
  }
  return out;
}

/** Turns :in, :not-in, :below and :above into plain code lists, recursively through chains. */
export async function expandTokenFilters(store: ResourceStore, search: SearchService, filters: Filter[]): Promise<Filter[]> {
  const out: Filter[] = [];
  for (const filter of filters) {
    if (filter.kind === 'token' && (filter.modifier === 'in' || filter.modifier === 'not-in')) {
      const values: TokenMatch[] = [];
      for (const vs of filter.valueSets) values.push(...(await expandValueSet(store, search, vs)));
      out.push({ ...filter, values, valueSets: [] });
    } else if (filter.kind === 'token' && (filter.modifier === 'below' || filter.modifier === 'above')) {
      out.push({ ...filter, modifier: 'none', values: await hierarchy(store, search, filter) });
    } else if (filter.kind === 'chain' || filter.kind === 'has') {
      const [inner] = await expandTokenFilters(store, search, [filter.filter]);
      out.push({ ...filter, filter: inner });
    } else out.push(filter);
  }
  return out;
}
