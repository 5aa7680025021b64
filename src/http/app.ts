import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import { pinoHttp } from 'pino-http';
import type { ServerContext } from '../services/server-context';
import { FhirError } from '../fhir/fhir-error';
import { migrationsAreApplied } from '../store/migrate';
import { errorHandler } from './error-handler';
import { fhirRouter } from './fhir-router';
import { corsOptions, fixedHeaders, helmetHeaders } from './fixed-headers';
import { createFastPath } from './fast-path';
import { withReadRouting } from './database-pool-scope';
import { LibraryCache } from './library-cache';
import { requestIdOf } from './request-id';
import { negotiateFormat } from './negotiation';
import type { FastPathGate } from './fast-path';
import type { RequestListener } from 'node:http';

export interface AppExtensions {
  /** Middleware run on every /fhir request before routing (authorization). */
  beforeFhir?: express.RequestHandler[];
  /** Extra routers mounted at the root (e.g. /.well-known, /auth). */
  routes?: express.Router[];
  /** Which anonymous reads and searches may take the fast path (none given: all of them). */
  fastPathGate?: FastPathGate;
}


/** The Express application: thin middleware around the FHIR router. */
export function createApp(ctx: ServerContext, extensions: AppExtensions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // FHIR parameters are read in order with URLSearchParams; the simple parser only serves _format/_pretty.
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const id = requestIdOf(req);
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  });
  app.use(
    pinoHttp({
      logger: ctx.logger,
      genReqId: (_req, res) => String(res.locals?.requestId ?? randomUUID()),
      // A log line per request only when the level asks for it (info or finer): the request
      // logger costs about 5% of the CPU of a read even when its lines are dropped.
      autoLogging: ctx.logger.isLevelEnabled('info'),
      customProps: (_req, res) => ({ requestId: res.locals?.requestId }),
      serializers: {
        req: (req: { method: string; url: string }) => ({ method: req.method, path: req.url.split('?')[0] }),
        res: (res: { statusCode: number }) => ({ status: res.statusCode }),
      },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    }),
  );
  // helmet's headers do not depend on the request: written as one fixed block.
  const security = helmetHeaders();
  app.use((_req: Request, res: Response, next: NextFunction) => {
    for (const [name, value] of security) res.setHeader(name, value);
    next();
  });
  const fhirCors = cors(corsOptions(ctx.config));
  // /cds-services answers its own preflights, with its own origins (CDS_HOOKS_CORS_ORIGINS).
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/cds-services') ? next() : fhirCors(req, res, next)));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ctx.database.ping();
      if (!(await migrationsAreApplied(ctx.database))) throw new Error('migrations pending');
      res.json({ status: 'ready', database: ctx.database.engine });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });

  for (const router of extensions.routes ?? []) app.use(router);

  app.use(
    '/fhir',
    express.text({ type: () => true, limit: ctx.config.maxBodyBytes }),
    negotiateFormat,
    ...(extensions.beforeFhir ?? []),
    fhirRouter(ctx),
  );
  app.use((_req: Request, _res: Response) => {
    throw FhirError.notFound('Nothing here: the FHIR API is under /fhir');
  });
  app.use(errorHandler(ctx.logger));
  return app;
}

/**
 * What the HTTP server runs for each request: the fast path for plain reads and searches
 * (HTTP_FAST_PATH, on by default), the Express app for everything else.
 */
export function createRequestListener(ctx: ServerContext, extensions: AppExtensions = {}): RequestListener & { close?(): Promise<void> } {
  const router = ctx.database.readRouter;
  const plain = createPlainRequestListener(ctx, extensions);
  const listener = router === undefined ? plain : withReadRouting(router, plain);
  if (!ctx.config.libraryCache) return listener;
  // Outside the read routing: a miss is computed on the primary, so a change announced by
  // NOTIFY is never cached again from a replica that has not replayed it yet.
  const cache = new LibraryCache(ctx, {
    maxAgeSeconds: ctx.config.libraryCacheMaxAgeSeconds,
    maxBytes: ctx.config.libraryCacheMaxMb * 1024 * 1024,
    listenUrl: ctx.database.engine === 'postgres' ? (ctx.config.databaseDirectUrl ?? ctx.config.databaseUrl) : undefined,
    publicTypes: ctx.config.auth === 'on' ? new Set(ctx.config.authPublicTypes) : undefined,
    gate: extensions.fastPathGate,
    headers: fixedHeaders(ctx.config),
  });
  return Object.assign(cache.listen(listener), { close: () => cache.close() });
}

function createPlainRequestListener(ctx: ServerContext, extensions: AppExtensions): RequestListener {
  const app = createApp(ctx, extensions);
  if (!ctx.config.httpFastPath) return app;
  const fastPath = createFastPath(ctx, { gate: extensions.fastPathGate, headers: fixedHeaders(ctx.config) });
  return (req, res) => {
    if (!fastPath(req, res)) app(req, res);
  };
}
