import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ServerContext } from '../../services/server-context';
import { CdsHooksStore } from '../../store/cds-hooks-store';
import type { CdsCard } from './card';
import { CdsClientAuthenticator, type CdsCaller } from './client-authentication';
import { composeCard, type CardSettings } from './compose-card';
import { EducationCache, findEducation } from './education-lookup';
import { CdsHooksError } from './errors';
import { parseFeedback } from './feedback-request';
import { parseHookRequest } from './hook-request';
import { OfferedCardRecorder } from './offered-cards';
import { TimelineCache } from './timeline-cache';
import { orderDayZero, ordersInScope } from './orders';
import { CDS_SERVICES, findService, type CdsService } from './services';
import { publicOrigin } from '../public-origin';

/** Hook requests carry a Bundle of draft orders: small. */
const MAX_BODY_BYTES = 1024 * 1024;


/**
 * CDS Hooks 2.0 at /cds-services (docs/cds-hooks.md): discovery, the order-select and
 * order-sign services and their feedback. Each call is authenticated as a trusted CDS
 * client (AUTH=off: not checked), answers CORS preflights itself (CDS_HOOKS_CORS_ORIGINS),
 * and refuses with `{"error", "message"}` JSON: 401, 400 naming what is malformed, 404.
 */
export function cdsHooksRouter(ctx: ServerContext): Router {
  const store = new CdsHooksStore(ctx.database);
  const authenticator = new CdsClientAuthenticator(store, ctx.config.authClockSkewSeconds);
  const education = new EducationCache(ctx, store);
  const offered = new OfferedCardRecorder(store);
  const timelines = new TimelineCache();
  const origins = ctx.config.cdsHooksCorsOrigins;
  const router = express.Router();
  router.use(
    '/cds-services',
    cors({
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    }),
  );

  const endpoint = (path: string) => `${publicOrigin(ctx.config.baseUrl)}/cds-services${path}`;
  const authenticate = async (req: Request, audiences: string[]): Promise<CdsCaller | undefined> =>
    ctx.config.auth === 'off' ? undefined : authenticator.authenticate(req.headers.authorization, audiences);
  const body = express.text({ type: () => true, limit: MAX_BODY_BYTES });
  const settings = (): CardSettings => ({ origin: publicOrigin(ctx.config.baseUrl), fhirBase: ctx.config.baseUrl, smartAppUrl: ctx.config.cdsHooksSmartAppUrl });

  router.get('/cds-services', async (req, res) => {
    await authenticate(req, [endpoint('')]);
    res.json({ services: CDS_SERVICES });
  });

  router.post('/cds-services/:id', body, async (req, res) => {
    const caller = await authenticate(req, [endpoint(`/${req.params.id}`)]);
    const service = knownService(req.params.id);
    const request = parseHookRequest(parseJson(req.body), service.hook);
    const matches = await findEducation(ctx.service, ordersInScope(request), (order) => orderDayZero(order) !== undefined, education);
    const now = new Date();
    const cards: CdsCard[] = matches.map((match) => composeCard(match, request, settings(), now, randomUUID, timelines));
    await offered.record(
      cards.map((card, i) => ({ cardUuid: card.uuid!, serviceId: service.id, hookInstance: request.hookInstance, planId: matches[i].plan.id!, issuer: caller?.issuer })),
    );
    ctx.logger.info({ service: service.id, hookInstance: request.hookInstance, cards: cards.length, client: caller?.issuer }, 'cds hook answered');
    res.json({ cards });
  });

  router.post('/cds-services/:id/feedback', body, async (req, res) => {
    const caller = await authenticate(req, [endpoint(`/${req.params.id}/feedback`), endpoint(`/${req.params.id}`)]);
    const service = knownService(req.params.id);
    const feedback = parseFeedback(parseJson(req.body));
    await store.recordFeedback(
      feedback.map((f) => ({
        serviceId: service.id,
        cardUuid: f.card,
        outcome: f.outcome,
        acceptedSuggestions: f.acceptedSuggestions,
        overrideReason: f.overrideReason,
        outcomeTimestamp: f.outcomeTimestamp,
        issuer: caller?.issuer,
      })),
    );
    res.json({ stored: feedback.length });
  });

  router.all(['/cds-services', '/cds-services/*path'], (req) => {
    const segments = req.path.split('/').filter((s) => s !== '');
    const known = segments.length === 1 || (segments.length <= 3 && findService(segments[1]) !== undefined && (segments[2] ?? 'feedback') === 'feedback');
    const what = `${req.method} ${req.path.slice(0, 100)}`;
    if (known) throw new CdsHooksError(405, 'method_not_allowed', `${what} is not allowed: discovery is GET, hook calls and feedback are POST`);
    throw CdsHooksError.notFound(`${what}: no such CDS Hooks endpoint here (GET /cds-services lists the services)`);
  });

  router.use('/cds-services', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const refusal = asRefusal(error);
    if (refusal === undefined) {
      ctx.logger.error({ err: error }, 'cds hooks request failed');
      res.status(500).json({ error: 'server_error', message: 'The CDS service failed; the error is logged on the server' });
      return;
    }
    if (refusal.status === 401) res.setHeader('WWW-Authenticate', `Bearer error="invalid_token"`);
    res.status(refusal.status).json({ error: refusal.error, message: refusal.message });
  });
  return router;
}

function knownService(id: string): CdsService {
  const service = findService(id);
  if (service === undefined) throw CdsHooksError.notFound(`No CDS service "${id.slice(0, 64)}" here: GET /cds-services lists them`);
  return service;
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text === '') throw CdsHooksError.badRequest('The request needs a JSON body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw CdsHooksError.badRequest('The body is not valid JSON');
  }
}

/** Our refusals, and the body parser's (too large, bad encoding), as CDS Hooks errors. */
function asRefusal(error: unknown): CdsHooksError | undefined {
  if (error instanceof CdsHooksError) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413) return new CdsHooksError(413, 'too_large', `The body is larger than ${MAX_BODY_BYTES} bytes`);
  if (typeof status === 'number' && status >= 400 && status < 500) return CdsHooksError.badRequest('The body could not be read (charset or encoding not supported)');
  return undefined;
}
