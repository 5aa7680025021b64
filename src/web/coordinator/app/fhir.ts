import type { Bundle, OperationOutcome, Resource } from 'fhir/r4';

/** A write refused because the resource changed since it was read (HTTP 412 on If-Match). */
export class ConflictError extends Error {}
/** A request the signed-in user's token does not allow (HTTP 403). */
export class ForbiddenError extends Error {}

/** How requests get their access token: none with AUTH=off, the SMART client's otherwise. */
export type Authorize = () => Promise<string | undefined>;

function outcomeText(body: unknown): string | undefined {
  const outcome = body as OperationOutcome | undefined;
  if (outcome?.resourceType !== 'OperationOutcome') return undefined;
  return (outcome.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; ');
}

/** The FHIR API on our origin: JSON in and out, the token when there is one, errors as exceptions with the server's words. */
export class FhirApi {
  /** FHIR requests made since the page opened (the worklist's cost, shown to tests and curious users). */
  requests = 0;

  constructor(
    readonly base: string,
    private readonly authorize: Authorize,
  ) {}

  /** A path relative to the base, or a link the server gave (its own absolute URL, reduced to our origin). */
  url(path: string): string {
    if (/^https?:/.test(path)) {
      const link = new URL(path);
      const at = link.pathname.indexOf('/fhir');
      return `${this.base}${at >= 0 ? link.pathname.slice(at + '/fhir'.length) : link.pathname}${link.search}`;
    }
    return `${this.base}/${path.replace(/^\//, '')}`;
  }

  async request<T = Resource>(path: string, init: { method?: string; body?: unknown; ifMatch?: string } = {}): Promise<{ body: T; etag: string | undefined }> {
    const headers: Record<string, string> = { accept: 'application/fhir+json' };
    const token = await this.authorize();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/fhir+json';
    if (init.ifMatch !== undefined) headers['if-match'] = init.ifMatch;
    this.requests++;
    document.body.dataset.fhirRequests = String(this.requests);
    const response = await fetch(this.url(path), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status === 412) throw new ConflictError('This was changed by someone else since you opened it. Reload to see the latest version, then try again.');
    if (response.status === 403 || response.status === 401) {
      throw new ForbiddenError(`You are not allowed to do this with your sign-in (${response.status}): ${outcomeText(body) ?? 'ask for the access you need'}.`);
    }
    if (!response.ok) throw new Error(`The server refused the request (${response.status}): ${outcomeText(body) ?? response.statusText}`);
    return { body: body as T, etag: response.headers.get('etag') ?? undefined };
  }

  async search<T extends Resource = Resource>(path: string): Promise<Bundle<T>> {
    return (await this.request<Bundle<T>>(path)).body;
  }

  /**
   * Several searches in one request (a batch Bundle of GETs), their Bundles in the same order;
   * one search goes as a plain GET.
   */
  async searches(paths: string[]): Promise<Bundle[]> {
    if (paths.length === 1) return [await this.search(paths[0])];
    const batch: Bundle = { resourceType: 'Bundle', type: 'batch', entry: paths.map((url) => ({ request: { method: 'GET', url } })) };
    const answer = (await this.request<Bundle>('', { method: 'POST', body: batch })).body;
    return paths.map((_path, i) => {
      const entry = answer.entry?.[i];
      if (entry?.resource?.resourceType !== 'Bundle') {
        throw new Error(`The server refused the request (${entry?.response?.status ?? 'no answer'}): ${outcomeText(entry?.response?.outcome ?? entry?.resource) ?? 'search failed'}`);
      }
      return entry.resource as Bundle;
    });
  }

  /** A version-aware write: If-Match the version the coordinator saw. */
  async update<T extends Resource>(resource: T): Promise<T> {
    const version = resource.meta?.versionId;
    return (await this.request<T>(`${resource.resourceType}/${resource.id}`, { method: 'PUT', body: resource, ifMatch: version === undefined ? undefined : `W/"${version}"` })).body;
  }

  async create<T extends Resource>(resource: T): Promise<T> {
    return (await this.request<T>(resource.resourceType, { method: 'POST', body: resource })).body;
  }
}
