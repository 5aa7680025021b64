import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { SearchRequest } from '../fhir/search/search-request';
import { classify } from '../fhir/interaction';
import { ID_PATTERN, isResourceType } from '../fhir/resource-types';
import type { ServerContext } from '../services/server-context';
import { compressBody, encodingFor } from './compression';
import { errorResponse } from './error-handler';
import { FHIR_JSON, httpDate, versionETag } from './fhir-response';
import { acceptsJson } from './negotiation';
import { preferences } from './prefer';
import { requestIdOf } from './request-id';

/**
 * Says whether an anonymous read or search may skip the Express stack. Authorization supplies
 * it; without one (AUTH=off) every read and search may. It may take a rate-limit token: a
 * request it turns down goes through the full stack, which answers it.
 */
export interface FastPathGate {
  read(req: IncomingMessage, resourceType: string): boolean;
  search(req: IncomingMessage, request: SearchRequest): boolean;
  /** The search as the gate lets it run (e.g. confined to what is public); unchanged when absent. */
  narrow?(request: SearchRequest): SearchRequest;
}

export interface FastPathOptions {
  gate?: FastPathGate;
  /** Headers every response carries (the security block, Vary). */
  headers: ReadonlyArray<readonly [string, string]>;
}

/** Returns true when it has taken the request; false leaves it to the Express app. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

interface Route {
  resourceType: string;
  id: string | undefined;
  query: string;
}

/**
 * The two interactions EHRs and clients run all day, `GET [base]/[type]/[id]` and
 * `GET [base]/[type]?…`, answered straight from node:http: same service calls, same headers,
 * same bodies and same OperationOutcomes as the Express routes, without the middleware chain.
 * Anything else — another method or URL shape, a token, an Origin, a conditional read,
 * `_format`/`_pretty`, an Accept other than JSON — goes to Express unchanged
 * (docs/decisions/http-fast-path.md).
 */
export function createFastPath(ctx: ServerContext, options: FastPathOptions): FastPath {
  const logger: Logger = ctx.logger;
  const logRequests = logger.isLevelEnabled('info');
  const prefix = '/fhir/';

  const route = (req: IncomingMessage): Route | undefined => {
    if (req.method !== 'GET') return undefined;
    const h = req.headers;
    if (h.authorization !== undefined || h.origin !== undefined || h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined) return undefined;
    if (h.accept !== undefined && h.accept !== '' && (!acceptsJson(h.accept) || /fhirversion/i.test(h.accept))) return undefined;
    const url = req.url ?? '';
    if (!url.startsWith(prefix)) return undefined;
    const q = url.indexOf('?');
    const path = q < 0 ? url.slice(prefix.length) : url.slice(prefix.length, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    if (query.includes('_format') || query.includes('_pretty')) return undefined;
    const i = classify('GET', path, query);
    const resourceType = i.resourceType ?? '';
    if (!TYPE.test(resourceType) || !isResourceType(resourceType)) return undefined;
    if (i.kind === 'search-type' && i.compartment === undefined) return { resourceType, id: undefined, query };
    if (i.kind !== 'read' || !ID_PATTERN.test(i.id!) || query !== '') return undefined;
    return { resourceType, id: i.id, query };
  };

  // The fixed headers as one flat list: writeHead with a flat array writes them straight into the
  // head, without the per-header bookkeeping of setHeader.
  const fixed = options.headers.flatMap(([name, value]) => [name, value]);
  const write = (req: IncomingMessage, res: ServerResponse, requestId: string, started: number, status: number, body: string | Buffer, extra: Record<string, string>) => {
    const head = ['X-Request-Id', requestId, ...fixed];
    for (const name in extra) head.push(name, extra[name]);
    head.push('Content-Type', FHIR_JSON, 'Content-Length', String(Buffer.byteLength(body)));
    res.writeHead(status, head);
    res.end(body);
    if (logRequests) {
      logger.info(
        { req: { method: req.method, path: (req.url ?? '').split('?')[0] }, res: { status }, responseTime: Date.now() - started, requestId },
        'request completed',
      );
    }
  };

  // Compressed only when the client asks for it and the body is large enough; otherwise written as it is.
  const respond = (req: IncomingMessage, res: ServerResponse, requestId: string, started: number, status: number, body: string, extra: Record<string, string>) => {
    const encoding = encodingFor(req.headers['accept-encoding'], body);
    if (encoding === undefined) {
      write(req, res, requestId, started, status, body, extra);
      return;
    }
    compressBody(body, encoding).then(
      (compressed) => write(req, res, requestId, started, status, compressed, { ...extra, 'Content-Encoding': encoding, Vary: 'Accept-Encoding' }),
      () => write(req, res, requestId, started, status, body, extra),
    );
  };

  const fail = (req: IncomingMessage, res: ServerResponse, requestId: string, started: number, error: unknown) => {
    const answer = errorResponse(error, requestId, logger, { method: req.method ?? 'GET', path: (req.url ?? '').split('?')[0] });
    respond(req, res, requestId, started, answer.status, answer.body, answer.headers);
  };

  return (req, res) => {
    const target = route(req);
    if (target === undefined) return false;
    const started = Date.now();
    const requestId = requestIdOf(req);

    if (target.id !== undefined) {
      if (options.gate && !options.gate.read(req, target.resourceType)) return false;
      ctx.service.read(target.resourceType, target.id).then(
        (stored) =>
          respond(req, res, requestId, started, 200, stored.content, { ETag: versionETag(stored.versionId), 'Last-Modified': httpDate(stored.lastUpdated) }),
        (error: unknown) => fail(req, res, requestId, started, error),
      );
      return true;
    }

    let parsed: ReturnType<ServerContext['searchService']['parse']>;
    try {
      parsed = ctx.searchService.parse([target.resourceType], [...new URLSearchParams(target.query)], preferences(req).strict);
    } catch {
      // Malformed searches are rare: the full stack answers them (and audits them).
      return false;
    }
    if (options.gate && !options.gate.search(req, parsed.request)) return false;
    const request = options.gate?.narrow?.(parsed.request) ?? parsed.request;
    ctx.searchService.search(ctx.service.repository, target.resourceType, request, parsed.warnings).then(
      (result) => respond(req, res, requestId, started, 200, result.body, {}),
      (error: unknown) => fail(req, res, requestId, started, error),
    );
    return true;
  };
}
