import type { IncomingMessage } from 'node:http';
import type { CapabilityStatementRestSecurity } from 'fhir/r4';
import express from 'express';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import type { AppExtensions } from '../http/app';
import type { FastPathGate } from '../http/fast-path';
import type { ServerContext } from '../services/server-context';
import { AuditTrail } from './audit';
import { auditService, dependenciesOf } from './authorized-resource-service';
import { ClientRegistry } from './client-registry';
import { authenticate, authorize, ipRateKey } from './middleware';
import { checkPatientLink } from './patient-link-token';
import { ClientStorageCap } from './client-storage';
import { publicLibraryFilters } from './patient-compartment';
import { TokenBucketLimiter } from './rate-limit';
import { SharedRateLimiter } from './shared-rate-limit';
import { databaseRateLimitCounter, RedisRateLimitCounter } from './rate-limit-counter';
import { openRedisRateLimitStore } from '../store/redis-rate-limit-store';
import { SigningKeys } from './signing-keys';
import { authBaseUrl, capabilitySecurity, smartConfiguration } from './smart-configuration';
import { tokenEndpointRouter } from './token-endpoint';
import { TokenVerifier } from './token-verifier';

export interface Security {
  /** CapabilityStatement.rest.security (undefined with AUTH=off). */
  capability: CapabilityStatementRestSecurity | undefined;
  /** Middleware and routes for the app, built once the server context exists. */
  app(ctx: ServerContext): AppExtensions;
  /** Waits for AuditEvents still being written. */
  close(): Promise<void>;
}

/** The rate limit of RATE_LIMIT_STORE: per process, or shared through PostgreSQL or Redis (docs/scaling.md). */
function rateLimiter(config: ServerConfig, ctx: ServerContext, logger: Logger): TokenBucketLimiter {
  if (config.rateLimitStore === 'memory') return new TokenBucketLimiter(config.rateLimitPerMinute);
  const database = databaseRateLimitCounter(ctx.database);
  const counter =
    config.rateLimitStore === 'redis' && config.redisUrl !== undefined
      ? new RedisRateLimitCounter(openRedisRateLimitStore(config.redisUrl, config.redisKeyPrefix), database, logger)
      : database;
  return new SharedRateLimiter(config.rateLimitPerMinute, counter, logger);
}

/**
 * SMART on FHIR authorization, the audit trail and the per-client rate limit, wired from
 * the configuration. With AUTH=off nothing is added (main.ts warns loudly).
 */
export function buildSecurity(config: ServerConfig, logger: Logger): Security {
  if (config.auth === 'off') return { capability: undefined, app: () => ({}), close: async () => undefined };
  let auditTrail: AuditTrail | undefined;
  let sharedLimiter: SharedRateLimiter | undefined;
  return {
    capability: capabilitySecurity(config),
    close: async () => {
      await auditTrail?.flush();
      await sharedLimiter?.close();
    },
    app: (ctx: ServerContext): AppExtensions => {
      const publicTypes = new Set(config.authPublicTypes);
      const limiter = rateLimiter(config, ctx, logger);
      sharedLimiter = limiter instanceof SharedRateLimiter ? limiter : undefined;
      const keys = new SigningKeys(ctx.database, config.authSigningKeyFile);
      const serviceDependencies = dependenciesOf(ctx.service);
      const trail = new AuditTrail(auditService(serviceDependencies), config.baseUrl, logger);
      auditTrail = trail;
      const verifier = new TokenVerifier({
        audience: () => ctx.config.baseUrl,
        clockSkewSeconds: config.authClockSkewSeconds,
        maxLifetimeSeconds: config.authMaxTokenLifetimeSeconds,
        // Patient links are signed by this server whichever authorization server issues the other tokens.
        builtin: { issuer: authBaseUrl(config.baseUrl), keys, linksOnly: !config.authBuiltinServer },
        external:
          config.authIssuer !== undefined ? { issuer: config.authIssuer, jwksUrl: config.authJwksUrl, jwksFile: config.authJwksFile } : undefined,
      });
      const router = express.Router();
      // SMART conformance.html: served at [base]/.well-known/smart-configuration, JSON whatever the Accept header.
      const sendConfiguration = (_req: express.Request, res: express.Response) => {
        res.json(smartConfiguration(ctx.config));
      };
      router.get('/.well-known/smart-configuration', sendConfiguration);
      router.get('/fhir/.well-known/smart-configuration', sendConfiguration);
      if (config.authBuiltinServer) router.use(tokenEndpointRouter({ config: ctx.config, clients: new ClientRegistry(ctx.database), keys, limiter, logger }));
      router.use('/fhir', authenticate({ verifier, limiter, publicTypes, auditTrail: trail, checkPrincipal: (principal) => checkPatientLink(ctx.service, principal) }));
      return {
        routes: [router],
        beforeFhir: [
          authorize({
            publicTypes,
            extractor: ctx.extractor,
            search: ctx.searchService,
            serviceDependencies,
            auditTrail: trail,
            baseUrl: () => ctx.config.baseUrl,
            operations: ctx.operations,
            limiter,
            storageCap: new ClientStorageCap(config.clientStorageMaxMb * 1024 * 1024),
          }),
        ],
        fastPathGate: anonymousPublicGate(publicTypes, limiter),
      };
    },
  };
}

/**
 * With authorization on, the fast path takes only what the middleware would pass untouched:
 * no token, public types only, no include, chain or _has (those can reach protected types),
 * within the caller's rate limit (the token is taken here; a refused request goes through the
 * middleware, which answers 429). Public reads are not audited, on either path.
 */
export function anonymousPublicGate(publicTypes: ReadonlySet<string>, limiter: TokenBucketLimiter): FastPathGate {
  const withinLimit = (req: IncomingMessage) => limiter.take(ipRateKey(req)) === undefined;
  return {
    // A read of a type that can also hold patient data is checked by the middleware.
    read: (req, resourceType) => publicTypes.has(resourceType) && publicLibraryFilters(resourceType) === null && withinLimit(req),
    search: (req, request) =>
      request.resourceTypes.every((t) => publicTypes.has(t)) &&
      request.includes.length === 0 &&
      request.filters.every((f) => f.kind !== 'chain' && f.kind !== 'has') &&
      withinLimit(req),
    // Confined to library material, exactly as AccessPolicy confines an anonymous search.
    narrow: (request) => {
      const library = request.resourceTypes.flatMap((t) => publicLibraryFilters(t) ?? []);
      return library.length === 0 ? request : { ...request, filters: [...request.filters, ...library] };
    },
  };
}
