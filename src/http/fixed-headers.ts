import type { IncomingMessage, ServerResponse } from 'node:http';
import cors, { type CorsOptions } from 'cors';
import helmet from 'helmet';
import type { ServerConfig } from '../config';

export function corsOptions(config: ServerConfig): CorsOptions {
  return {
    origin: config.corsOrigins.length === 0 ? false : config.corsOrigins,
    exposedHeaders: ['Location', 'ETag', 'Last-Modified', 'Content-Location', 'X-Request-Id', 'WWW-Authenticate', 'Retry-After'],
  };
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * The headers helmet (and CORS, for a request without an Origin) put on every response,
 * computed once by running those middlewares against an empty GET: with our options they do
 * not depend on the request. The Express app and the fast path write this same block.
 */
export function fixedHeaders(config: ServerConfig): ReadonlyArray<readonly [string, string]> {
  return headersOf([helmet({ contentSecurityPolicy: false }), cors(corsOptions(config)) as Middleware]);
}

/** helmet's block alone (the Express app runs CORS itself, for requests with an Origin). */
export function helmetHeaders(): ReadonlyArray<readonly [string, string]> {
  return headersOf([helmet({ contentSecurityPolicy: false })]);
}

function headersOf(middlewares: Middleware[]): ReadonlyArray<readonly [string, string]> {
  const headers = new Map<string, string>();
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
    },
    getHeader(name: string) {
      return headers.get(name);
    },
    removeHeader(name: string) {
      headers.delete(name);
    },
  } as unknown as ServerResponse;
  const req = { method: 'GET', headers: {} } as IncomingMessage;
  for (const middleware of middlewares) {
    let finished = false;
    middleware(req, res, () => {
      finished = true;
    });
    if (!finished) throw new Error('a header middleware did not finish synchronously');
  }
  return [...headers.entries()];
}
