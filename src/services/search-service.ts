import type { Bundle, BundleEntry, BundleLink, OperationOutcomeIssue, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { operationOutcome } from '../fhir/operation-outcome';
import { decodeCursor, encodeCursor } from '../fhir/search/cursor';
import { parseSearchRequest, type ParseOptions } from '../fhir/search/parse-search-request';
import type { Filter, IncludeRequest, SearchRequest } from '../fhir/search/search-request';
import type { SearchParameterRegistry } from '../fhir/search/search-parameter-registry';
import { applyElements, applySummary } from '../fhir/summary';
import { isResourceType } from '../fhir/resource-types';
import {
  CursorMismatchError,
  type IncludeBudget,
  type IncludedRow,
  type PageInclude,
  type Repository,
  type SearchRow,
} from '../store/repository';
import { expandTokenFilters } from './terminology-service';

export interface SearchSettings {
  baseUrl: string;
  defaultCount: number;
  maxCount: number;
  /** Bytes of matched resources one page holds at most (SEARCH_PAGE_MAX_BYTES); the rest follows `next`. */
  maxPageBytes?: number;
}

/** Rounds of `:iterate` followed at most (stops earlier when nothing new arrives). */
const MAX_INCLUDE_ITERATIONS = 4;
const MAX_INCLUDED = 1000;

export interface SearchResult {
  /** The searchset Bundle as JSON text (stored resources are spliced in unparsed). */
  body: string;
}

/**
 * Runs a FHIR search: parse -> expand terminology -> one page by keyset -> includes
 * (one query per include, for the whole page) -> searchset Bundle. It reads through the
 * Repository it is handed, which confines every statement to that repository's access policy.
 */
export class SearchService {
  constructor(
    private readonly registry: SearchParameterRegistry,
    private readonly settings: SearchSettings,
  ) {}

  /** The server's FHIR base (BASE_URL): absolute references under it name its own resources. */
  get baseUrl(): string {
    return this.settings.baseUrl;
  }

  parseOptions(strict: boolean): ParseOptions {
    return {
      registry: this.registry,
      isResourceType,
      defaultCount: this.settings.defaultCount,
      maxCount: this.settings.maxCount,
      baseUrl: this.settings.baseUrl,
      strict,
    };
  }

  parse(resourceTypes: string[], params: [string, string][], strict: boolean) {
    return parseSearchRequest(resourceTypes, params, this.parseOptions(strict));
  }

  /** Ids of the resources of one type matching a query string (conditional interactions). */
  async findIds(store: Repository, resourceType: string, criteria: string): Promise<string[]> {
    const params = [...new URLSearchParams(criteria.replace(/^\?/, ''))];
    if (params.length === 0) throw FhirError.badRequest('Conditional criteria must not be empty');
    const { request } = this.parse([resourceType], params, true);
    const filters = await expandTokenFilters(store, this, request.filters);
    // Conditional interactions only see, and so only act on, resources within the grant.
    const rows = await store.searchPage(
      { resourceTypes: [resourceType], filters, sort: [], limit: 2 },
      'criteria',
    );
    return rows.map((r) => r.id);
  }

  /** The content of every live resource of a type whose reference parameter names a target: what the search `<type>?<param>=<reference>` finds, all pages (Repository.findReferencing). */
  async findReferencing(
    store: Repository,
    resourceType: string,
    param: string,
    reference: string,
  ): Promise<string[]> {
    const { request } = this.parse([resourceType], [[param, reference]], true);
    const [filter] = request.filters;
    if (request.filters.length !== 1 || filter.kind !== 'reference') {
      throw new Error(`${resourceType}?${param}=${reference} is not a search by one reference`);
    }
    return store.findReferencing(resourceType, filter);
  }

  /** Full search: returns the searchset Bundle text. `path` is e.g. `Task` or `` (all types). */
  async search(
    store: Repository,
    path: string,
    request: SearchRequest,
    warnings: OperationOutcomeIssue[],
  ): Promise<SearchResult> {
    store.rules.checkSearch(request);
    const filters = await expandTokenFilters(store, this, request.filters);
    const query = { resourceTypes: request.resourceTypes, filters };
    if (request.summary === 'count') {
      const total = await store.countMatches(query);
      return { body: JSON.stringify(this.bundle(path, request, total, undefined, undefined, warnings)) };
    }
    const cursor = request.cursor !== undefined ? decodeCursor(request.cursor) : undefined;
    let rows: SearchRow[];
    // Ended early by the byte budget: the rest of the page follows the `next` link.
    let cut: boolean;
    // One `_include` of the searched type is read with the page, in the same statement.
    const withPage = request.count > 0 ? this.includeWithPage(request) : undefined;
    let includedWithPage: IncludedRow[] | undefined;
    try {
      const pageQuery = {
        ...query,
        sort: request.sort,
        limit: request.count + 1,
        after: cursor,
        maxBytes: this.settings.maxPageBytes,
      };
      if (withPage === undefined) ({ rows, cut } = await store.searchPageWithin(pageQuery));
      else
        ({ rows, cut, included: includedWithPage } = await store.searchPageAndIncluded(pageQuery, withPage));
    } catch (error) {
      if (error instanceof CursorMismatchError)
        throw FhirError.badRequest('The paging cursor does not fit this search', '_cursor');
      throw error;
    }
    const full = rows.length > request.count;
    const hasMore = full || cut;
    if (full) {
      if (cursor?.backwards) rows = rows.slice(1);
      else rows = rows.slice(0, request.count);
    }
    let total: number | undefined;
    if (request.total === 'accurate' || request.total === 'estimate') total = await store.countMatches(query);
    else if (request.total === undefined && cursor === undefined && !hasMore) total = rows.length;

    // Read with the page (the references of its shown rows only): each once, none that is a match.
    // Included resources share the page's byte budget with its matches: those past it are left
    // out, and an OperationOutcome in the Bundle says so.
    const collector = includedCollector(rows, this.remainingBytes(rows));
    if (includedWithPage !== undefined) collector.add(includedWithPage);
    else if (request.count > 0) await this.includes(store, collector, request.includes);
    const included = collector.out;
    const issues: OperationOutcomeIssue[] = [...warnings];
    if (request.includes.length > 0 && collector.cut()) {
      issues.push({
        severity: 'warning',
        code: 'too-costly',
        diagnostics: `Included resources were left out: the page reached its byte budget (SEARCH_PAGE_MAX_BYTES = ${this.settings.maxPageBytes} bytes) or ${MAX_INCLUDED} included resources; fetch them with a search of their own, or use a smaller _count`,
      });
    }
    let next: string | undefined;
    let previous: string | undefined;
    if (rows.length > 0) {
      const forwardMore = cursor?.backwards ? true : hasMore;
      if (forwardMore) next = encodeCursor({ keys: rows[rows.length - 1].keys, backwards: false });
      const backwardMore = cursor === undefined ? false : cursor.backwards ? hasMore : true;
      if (backwardMore) previous = encodeCursor({ keys: rows[0].keys, backwards: true });
    }
    return { body: this.bundleText(path, request, rows, included, total, next, previous, issues) };
  }

  /**
   * The search's include when it can be read in the page's own statement: exactly one
   * `_include` (not `:iterate`) from the searched type.
   */
  includeWithPage(request: SearchRequest): PageInclude | undefined {
    if (request.includes.length !== 1 || request.resourceTypes.length !== 1) return undefined;
    const [include] = request.includes;
    if (include.reverse || include.iterate || include.sourceType !== request.resourceTypes[0])
      return undefined;
    const referenceParams =
      include.param !== undefined ? [include.param] : this.referenceParams(include.sourceType);
    return {
      sourceType: include.sourceType,
      targetType: include.targetType,
      referenceParams,
      localBase: this.settings.baseUrl,
      fromFirst: request.count,
      budget: this.includeBudget(),
    };
  }

  /** What one include query may read: a row more than can be kept, and the whole page budget. */
  private includeBudget(): IncludeBudget {
    return { maxRows: MAX_INCLUDED + 1, maxBytes: this.settings.maxPageBytes };
  }

  /** Bytes left in the page's budget once its matches are in (undefined: no budget). */
  private remainingBytes(rows: SearchRow[]): number | undefined {
    if (this.settings.maxPageBytes === undefined) return undefined;
    return this.settings.maxPageBytes - rows.reduce((sum, row) => sum + Buffer.byteLength(row.content), 0);
  }

  private async includes(
    store: Repository,
    collector: IncludedCollector,
    includes: IncludeRequest[],
  ): Promise<void> {
    const rows = collector.page;
    if (includes.length === 0 || rows.length === 0) return;
    const { add, out } = collector;
    const budget = this.includeBudget();
    const base = this.settings.baseUrl;
    const run = async (source: SearchRow[], include: IncludeRequest): Promise<SearchRow[]> => {
      if (include.reverse) {
        const sourceType = include.sourceType === '*' ? undefined : include.sourceType;
        const params =
          include.param !== undefined
            ? [include.param]
            : sourceType !== undefined
              ? this.referenceParams(sourceType)
              : undefined;
        const rids = source.map((r) => r.rid);
        if (collector.cut()) return [];
        return add(await store.fetchRevIncluded(rids, sourceType, params, base, budget));
      }
      const byType = new Map<string, string[]>();
      for (const r of source) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r.rid]);
      const found: SearchRow[] = [];
      for (const sourceType of include.sourceType === '*' ? [...byType.keys()] : [include.sourceType]) {
        const params = include.param !== undefined ? [include.param] : this.referenceParams(sourceType);
        if (collector.cut()) break;
        const included = await store.fetchIncluded(
          byType.get(sourceType) ?? [],
          { sourceType, targetType: include.targetType },
          params,
          base,
          budget,
        );
        found.push(...add(included));
      }
      return found;
    };
    for (const include of includes) await run(rows, include);
    const iterating = includes.filter((i) => i.iterate);
    let frontier = out.slice();
    for (
      let round = 0;
      round < MAX_INCLUDE_ITERATIONS && frontier.length > 0 && iterating.length > 0;
      round++
    ) {
      const next: SearchRow[] = [];
      for (const include of iterating) next.push(...(await run(frontier, include)));
      frontier = next;
    }
  }

  private referenceParams(resourceType: string): string[] {
    return this.registry
      .forType(resourceType)
      .filter((p) => p.type === 'reference')
      .map((p) => p.code);
  }

  private selfUrl(path: string, request: SearchRequest, cursor?: string): string {
    const params = new URLSearchParams();
    if (path === '' && request.resourceTypes.length > 0)
      params.append('_type', request.resourceTypes.join(','));
    for (const [k, v] of request.applied) params.append(k, v);
    if (cursor !== undefined) params.append('_cursor', cursor);
    const query = params.toString();
    const base = path === '' ? this.settings.baseUrl : `${this.settings.baseUrl}/${path}`;
    return query === '' ? base : `${base}?${query}`;
  }

  private links(path: string, request: SearchRequest, next?: string, previous?: string): BundleLink[] {
    const links: BundleLink[] = [{ relation: 'self', url: this.selfUrl(path, request, request.cursor) }];
    links.push({ relation: 'first', url: this.selfUrl(path, request) });
    if (previous !== undefined)
      links.push({ relation: 'previous', url: this.selfUrl(path, request, previous) });
    if (next !== undefined) links.push({ relation: 'next', url: this.selfUrl(path, request, next) });
    return links;
  }

  private bundle(
    path: string,
    request: SearchRequest,
    total: number | undefined,
    next: string | undefined,
    previous: string | undefined,
    warnings: OperationOutcomeIssue[],
  ): Bundle {
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset' };
    if (total !== undefined) bundle.total = total;
    bundle.link = this.links(path, request, next, previous);
    if (warnings.length > 0) bundle.entry = [outcomeEntry(warnings)];
    return bundle;
  }

  /**
   * The Bundle as text. Stored JSON is spliced in as it is, unless _summary/_elements
   * asks for a subset, so a page costs no parse or re-serialisation of its resources.
   */
  private bundleText(
    path: string,
    request: SearchRequest,
    rows: SearchRow[],
    included: SearchRow[],
    total: number | undefined,
    next: string | undefined,
    previous: string | undefined,
    warnings: OperationOutcomeIssue[],
  ): string {
    const head = this.bundle(path, request, total, next, previous, []);
    const entries: string[] = [];
    const transform = (content: string): string => {
      if ((request.summary === undefined || request.summary === 'false') && request.elements === undefined)
        return content;
      let resource = JSON.parse(content) as Resource;
      if (request.summary !== undefined) resource = applySummary(resource, request.summary);
      if (request.elements !== undefined) resource = applyElements(resource, request.elements);
      return JSON.stringify(resource);
    };
    const entry = (row: SearchRow, mode: 'match' | 'include') =>
      `{"fullUrl":${JSON.stringify(`${this.settings.baseUrl}/${row.resourceType}/${row.id}`)},"resource":${transform(row.content)},"search":{"mode":"${mode}"}}`;
    for (const row of rows) entries.push(entry(row, 'match'));
    for (const row of included) entries.push(entry(row, 'include'));
    if (warnings.length > 0) entries.push(JSON.stringify(outcomeEntry(warnings)));
    const headText = JSON.stringify(head);
    return `${headText.slice(0, -1)},"entry":[${entries.join(',')}]}`;
  }
}

interface IncludedCollector {
  page: SearchRow[];
  /** Adds what is new among `found`, within the limits; returns what it added. */
  add: (found: IncludedRow[]) => SearchRow[];
  out: SearchRow[];
  /** True once something was left out for the limits. */
  cut: () => boolean;
}

/**
 * Collects included rows: none already in the page, each once, at most MAX_INCLUDED in all and
 * `budget` bytes of content in all (a row read without content, past its query's budget, is
 * left out too).
 */
function includedCollector(page: SearchRow[], budget: number | undefined): IncludedCollector {
  const seen = new Set(page.map((r) => r.rid));
  const out: SearchRow[] = [];
  let bytes = 0;
  let cut = budget !== undefined && budget <= 0;
  const add = (found: IncludedRow[]) => {
    const added: SearchRow[] = [];
    for (const f of found) {
      if (seen.has(f.rid)) continue;
      const size = f.content === null ? Infinity : Buffer.byteLength(f.content);
      if (
        out.length >= MAX_INCLUDED ||
        (budget !== undefined && bytes + size > budget) ||
        f.content === null
      ) {
        cut = true;
        continue;
      }
      seen.add(f.rid);
      bytes += size;
      const row = { ...f, content: f.content, keys: [] };
      out.push(row);
      added.push(row);
    }
    return added;
  };
  return { page, add, out, cut: () => cut };
}

function outcomeEntry(warnings: OperationOutcomeIssue[]): BundleEntry {
  return { resource: operationOutcome(warnings), search: { mode: 'outcome' } };
}

export type { Filter };
