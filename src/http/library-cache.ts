import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { ID_PATTERN, isResourceType } from '../fhir/resource-types';
import type { ServerContext } from '../services/server-context';
import { LIBRARY_CHANNEL, LIBRARY_TYPES, onLibraryWrite } from '../services/library-changes';
import { listenForChanges, type ChangeListener } from '../store/change-notifications';
import type { FastPathGate } from './fast-path';
import { FHIR_JSON, httpDate, versionETag } from './fhir-response';
import { acceptsJson } from './negotiation';
import { requestIdOf } from './request-id';

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
/** Parameters whose answers can reach other types, or vary by representation: not cached. */
const UNCACHED_PARAMETERS = /(^|&)(_include|_revinclude|_has|_format|_pretty|_elements|_summary|_contained)(:|=|&|$)|(^|&)[^=&]*\.[^=&]*=/;

interface Entry {
  body: Buffer;
  /** Made on the first request that accepts it. */
  gzip: Buffer | undefined;
  etag: string;
  lastModified: string | undefined;
}

export interface LibraryCacheOptions {
  maxAgeSeconds: number;
  /** Bytes of answers kept (bodies and their gzip); the oldest go first. */
  maxBytes: number;
  /** Direct connection for LISTEN (not through a transaction-mode pooler); undefined: this instance's writes only (embedded database). */
  listenUrl: string | undefined;
  publicTypes: ReadonlySet<string> | undefined;
  gate: FastPathGate | undefined;
  headers: ReadonlyArray<readonly [string, string]>;
}

/**
 * Public library reads and searches answered from memory: the serialized answer and its gzip,
 * with `ETag`, `Cache-Control: public, max-age` and `If-None-Match` → 304. Any write to a library
 * type, on any instance, empties the cache: the write sends a NOTIFY in its transaction, and every
 * instance LISTENs (so none serves a stale answer longer than the notification takes to arrive).
 * While the LISTEN session is down nothing is cached. Anything not plainly public and anonymous —
 * a token, an Origin, a type outside the library, _include and friends, another format — goes on
 * to the normal request handling untouched, and so does a miss that fails.
 */
export class LibraryCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private generation = 0;
  private readonly listener: ChangeListener | undefined;
  private readonly fixed: string[];
  private readonly cacheControl: string;

  constructor(
    private readonly ctx: ServerContext,
    private readonly options: LibraryCacheOptions,
  ) {
    this.fixed = options.headers.flatMap(([name, value]) => [name, value]);
    this.cacheControl = `public, max-age=${options.maxAgeSeconds}`;
    // This instance's own library writes (the NOTIFY of runtime.ts reaches the others, and this one again at commit).
    onLibraryWrite(ctx.hooks, async () => this.clear());
    this.listener =
      options.listenUrl === undefined
        ? undefined
        : listenForChanges(options.listenUrl, [LIBRARY_CHANNEL], {
            onMessage: () => this.clear(),
            onGap: () => this.clear(),
            onError: (error) => ctx.logger.warn({ err: error.message }, 'library change notifications lost; the cache is off until they are back'),
          });
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
    this.bytes = 0;
  }

  private enabled(): boolean {
    return this.listener === undefined || this.listener.listening();
  }

  private keyFor(req: IncomingMessage): string {
    return req.url ?? '';
  }

  /** The cache key of a request it may answer, else undefined. */
  private keyOf(req: IncomingMessage): { key: string; resourceType: string; id: string | undefined; query: string } | undefined {
    if (req.method !== 'GET') return undefined;
    const h = req.headers;
    if (h.authorization !== undefined || h.origin !== undefined || h['if-modified-since'] !== undefined) return undefined;
    if (h.accept !== undefined && h.accept !== '' && !acceptsJson(h.accept)) return undefined;
    if (h.prefer !== undefined) return undefined;
    const url = req.url ?? '';
    if (!url.startsWith('/fhir/')) return undefined;
    const q = url.indexOf('?');
    const path = q < 0 ? url.slice(6) : url.slice(6, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (UNCACHED_PARAMETERS.test(query)) return undefined;
    const slash = path.indexOf('/');
    const resourceType = slash < 0 ? path : path.slice(0, slash);
    if (!TYPE.test(resourceType) || !isResourceType(resourceType) || !LIBRARY_TYPES.includes(resourceType)) return undefined;
    if (this.options.publicTypes !== undefined && !this.options.publicTypes.has(resourceType)) return undefined;
    const id = slash < 0 ? undefined : path.slice(slash + 1);
    if (id !== undefined && (!ID_PATTERN.test(id) || query !== '')) return undefined;
    return { key: url, resourceType, id, query };
  }

  /** Wraps the request handling: cached answers first. */
  listen(next: RequestListener): RequestListener {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the patched writeHead runs with the response as this
    const cache = this;
    return (req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        // A library write empties the cache inside its transaction (and by NOTIFY at commit); an
        // answer filled between the two would be stale: empty it again before the write answers.
        const before = this.generation;
        const writeHead = res.writeHead;
        res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
          if (cache.generation !== before) cache.clear();
          return writeHead.apply(this, args);
        } as ServerResponse['writeHead'];
        return next(req, res);
      }
      const target = this.enabled() ? this.keyOf(req) : undefined;
      if (target === undefined) return next(req, res);
      // The rate limit and the public-type rule of the normal path hold here too.
      if (this.options.gate !== undefined && !this.options.gate.read(req, target.resourceType)) return next(req, res);
      const cached = this.entries.get(target.key);
      if (cached !== undefined) {
        this.send(req, res, cached, 'hit');
        return;
      }
      const generation = this.generation;
      this.compute(target).then(
        (entry) => {
          if (generation === this.generation && this.enabled()) {
            this.bytes += entry.body.length;
            this.entries.set(target.key, entry);
            for (const [key, old] of this.entries) {
              if (this.bytes <= this.options.maxBytes) break;
              this.entries.delete(key);
              this.bytes -= old.body.length + (old.gzip?.length ?? 0);
            }
          }
          this.send(req, res, entry, 'miss');
        },
        // Errors (not found, a bad search, the database) get the normal path's answer.
        () => next(req, res),
      );
    };
  }

  private async compute(target: { resourceType: string; id: string | undefined; query: string }): Promise<Entry> {
    if (target.id !== undefined) {
      const stored = await this.ctx.service.read(target.resourceType, target.id);
      return this.entry(stored.content, versionETag(stored.versionId), httpDate(stored.lastUpdated));
    }
    const parsed = this.ctx.searchService.parse([target.resourceType], [...new URLSearchParams(target.query)], false);
    if (parsed.warnings.length > 0) throw new Error('a search with warnings is answered by the normal path');
    const result = await this.ctx.searchService.search(this.ctx.service.repository, target.resourceType, parsed.request, parsed.warnings);
    return this.entry(result.body, `"${createHash('sha256').update(result.body).digest('base64url').slice(0, 27)}"`, undefined);
  }

  private entry(text: string, etag: string, lastModified: string | undefined): Entry {
    const body = Buffer.from(text);
    return { body, gzip: undefined, etag, lastModified };
  }

  private send(req: IncomingMessage, res: ServerResponse, entry: Entry, state: 'hit' | 'miss'): void {
    const requestId = requestIdOf(req);
    const head = ['X-Request-Id', requestId, ...this.fixed, 'ETag', entry.etag, 'Cache-Control', this.cacheControl, 'X-Library-Cache', state, 'Vary', 'Accept-Encoding'];
    if (entry.lastModified !== undefined) head.push('Last-Modified', entry.lastModified);
    const inm = req.headers['if-none-match'];
    if (typeof inm === 'string' && inm.split(',').some((tag) => tag.trim() === entry.etag || tag.trim() === '*')) {
      res.writeHead(304, head);
      res.end();
      return;
    }
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip && entry.gzip === undefined) {
      entry.gzip = gzipSync(entry.body, { level: 6 });
      if (this.entries.get(this.keyFor(req)) === entry) this.bytes += entry.gzip.length;
    }
    const body = gzip && entry.gzip !== undefined ? entry.gzip : entry.body;
    head.push('Content-Type', FHIR_JSON, 'Content-Length', String(body.length));
    if (gzip) head.push('Content-Encoding', 'gzip');
    res.writeHead(200, head);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
