import type { Bundle, BundleEntry, BundleLink } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { parseDateRange } from '../fhir/search/date-range';
import type { HistoryQuery, Repository } from '../store/repository';

export interface HistoryRequest {
  resourceType?: string;
  id?: string;
  params: [string, string][];
}

interface HistoryCursor {
  lastUpdated: string;
  resourceType: string;
  id: string;
  versionId: number;
}

/** Instance, type and system history (R4 http.html#history), newest first, keyset-paged, each page within the byte budget. */
export async function historyBundle(
  store: Repository,
  request: HistoryRequest,
  settings: { baseUrl: string; defaultCount: number; maxCount: number; maxPageBytes?: number },
): Promise<Bundle> {
  let count = settings.defaultCount;
  let since: string | undefined;
  let before: HistoryCursor | undefined;
  const applied: [string, string][] = [];
  for (const [name, value] of request.params) {
    if (name === '_count') {
      if (!/^\d+$/.test(value)) throw FhirError.badRequest(`_count must be a whole number, got "${value}"`, '_count');
      count = Math.min(Number(value), settings.maxCount);
      applied.push([name, String(count)]);
    } else if (name === '_since') {
      const range = parseDateRange(value);
      if (!range || !value.includes('T')) throw FhirError.badRequest(`_since must be an instant, got "${value}"`, '_since');
      since = range.start.toISOString();
      applied.push([name, value]);
    } else if (name === '_cursor') {
      try {
        before = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as HistoryCursor;
      } catch {
        throw FhirError.badRequest('The paging cursor is not valid', '_cursor');
      }
    }
  }
  const query: HistoryQuery = { resourceType: request.resourceType, id: request.id, since, before, count: count + 1, maxBytes: settings.maxPageBytes };
  const read = await store.history(query);
  // The byte budget of a page (SEARCH_PAGE_MAX_BYTES) ends it early: the rest follows the `next` link.
  const cutAt = read.findIndex((row) => row.pastBudget === true);
  const rows = cutAt < 0 ? read : read.slice(0, cutAt);
  const more = rows.length > count || cutAt >= 0;
  if (request.id !== undefined && rows.length === 0 && before === undefined) {
    const exists = await store.read(request.resourceType!, request.id);
    if (!exists) throw FhirError.notFound(`${request.resourceType}/${request.id} is not known`);
  }
  const page = rows.slice(0, count);
  const path = [request.resourceType, request.id].filter((p) => p !== undefined).join('/');
  const base = `${settings.baseUrl}${path === '' ? '' : '/' + path}/_history`;
  const link = (cursor?: string) => {
    const params = new URLSearchParams(applied);
    if (cursor) params.append('_cursor', cursor);
    const q = params.toString();
    return q === '' ? base : `${base}?${q}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: link(before ? Buffer.from(JSON.stringify(before)).toString('base64url') : undefined) }];
  if (more && page.length > 0) {
    const last = page[page.length - 1];
    const cursor: HistoryCursor = { lastUpdated: last.lastUpdated, resourceType: last.resourceType, id: last.id, versionId: last.versionId };
    links.push({ relation: 'next', url: link(Buffer.from(JSON.stringify(cursor)).toString('base64url')) });
  }
  const entries: BundleEntry[] = page.map((row) => {
    const fullUrl = `${settings.baseUrl}/${row.resourceType}/${row.id}`;
    const entry: BundleEntry = {
      fullUrl,
      request: {
        method: row.method,
        url: row.method === 'POST' ? row.resourceType : `${row.resourceType}/${row.id}`,
      },
      response: {
        status: row.method === 'POST' ? '201 Created' : row.method === 'DELETE' ? '204 No Content' : '200 OK',
        etag: `W/"${row.versionId}"`,
        lastModified: new Date(row.lastUpdated).toISOString(),
      },
    };
    if (row.content !== null) entry.resource = JSON.parse(row.content);
    return entry;
  });
  const bundle: Bundle = { resourceType: 'Bundle', type: 'history', link: links, entry: entries };
  if (before === undefined && !more) bundle.total = page.length;
  else if (before === undefined) bundle.total = await store.countHistory({ resourceType: request.resourceType, id: request.id, since });
  return bundle;
}
