import type { Bundle, BundleEntry, Resource } from 'fhir/r4';
import type { TestServer } from '../../support/test-server';

/** Stores resources with their own ids (PUT), failing loudly on any rejection. */
export async function putAll(server: TestServer, resources: Resource[]): Promise<void> {
  for (const resource of resources) {
    const response = await server.fetch(`/${resource.resourceType}/${resource.id}`, { method: 'PUT', body: JSON.stringify(resource) });
    if (response.status !== 200 && response.status !== 201) {
      throw new Error(`PUT ${resource.resourceType}/${resource.id} answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
  }
}

export interface SearchAnswer {
  status: number;
  bundle: Bundle;
  /** `Type/id` of the entries with search.mode = match, in order. */
  matches: string[];
  /** `Type/id` of the entries with search.mode = include. */
  included: string[];
  outcomes: BundleEntry[];
}

function refOf(entry: BundleEntry): string {
  const resource = entry.resource as Resource;
  return `${resource.resourceType}/${resource.id}`;
}

/** GET a search and split its entries by search.mode. Throws unless the answer is a 200 Bundle. */
export async function search(server: TestServer, path: string, init?: RequestInit): Promise<SearchAnswer> {
  const response = await server.fetch(path, init);
  if (response.status !== 200 || response.body?.resourceType !== 'Bundle') {
    throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  const bundle = response.body as Bundle;
  const entries = bundle.entry ?? [];
  return {
    status: response.status,
    bundle,
    matches: entries.filter((e) => e.search?.mode === 'match').map(refOf),
    included: entries.filter((e) => e.search?.mode === 'include').map(refOf),
    outcomes: entries.filter((e) => e.search?.mode === 'outcome'),
  };
}

/** Ids (without type) of the matches of a search of one type. */
export async function matchIds(server: TestServer, path: string): Promise<string[]> {
  const answer = await search(server, path);
  return answer.matches.map((m) => m.split('/')[1]);
}

/** A link of a searchset Bundle, made relative to the test server's real address. */
export function link(server: TestServer, bundle: Bundle, relation: string): string | undefined {
  const url = bundle.link?.find((l) => l.relation === relation)?.url;
  if (url === undefined) return undefined;
  const configured = server.ctx.config.baseUrl;
  return url.startsWith(configured) ? url.slice(configured.length) : url;
}

/** Asserts a 4xx OperationOutcome (never a 5xx) and returns its issues' text. */
/** Follows `next` links from `first`; the ids of each page. `between` runs after each page that has a next one. */
export async function walkPages(
  server: TestServer,
  first: string,
  options: { maxPages: number; between?: (pageNumber: number) => Promise<void> },
): Promise<string[][]> {
  const pages: string[][] = [];
  let next: string | undefined = first;
  while (next !== undefined) {
    const answer = await search(server, next);
    pages.push(answer.matches.map((m) => m.split('/')[1]));
    next = link(server, answer.bundle, 'next');
    if (options.between && next !== undefined) await options.between(pages.length);
    if (pages.length > options.maxPages) throw new Error('paging does not end');
  }
  return pages;
}

export async function expectClientError(server: TestServer, path: string, status = 400, init?: RequestInit): Promise<string> {
  const response = await server.fetch(path, init);
  if (response.status !== status || response.body?.resourceType !== 'OperationOutcome') {
    throw new Error(`GET ${path}: expected ${status} OperationOutcome, got ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return JSON.stringify(response.body.issue);
}
