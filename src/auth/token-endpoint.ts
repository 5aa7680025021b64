import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  SignJWT,
  type JWTPayload,
  type JWTVerifyGetKey,
  type ProtectedHeaderParameters,
} from 'jose';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { callerAddress } from '../http/caller-address';
import { assertionFailure } from './assertion-errors';
import type { ClientRegistry, RegisteredClient } from './client-registry';
import type { TokenBucketLimiter } from './rate-limit';
import { parseScopes, scopeCovers } from './scopes';
import { ALLOWED_ALGORITHMS, type SigningKeys } from './signing-keys';
import { authBaseUrl } from './smart-configuration';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** client-confidential-asymmetric: the assertion's exp "SHALL be no more than five minutes in the future". */
const MAX_ASSERTION_SECONDS = 300;

/** An OAuth 2.0 error response (RFC 6749 section 5.2), not a FHIR OperationOutcome: this is the OAuth endpoint. */
class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
  ) {
    super(description);
  }
}

export interface TokenEndpointDependencies {
  config: ServerConfig;
  clients: ClientRegistry;
  keys: SigningKeys;
  limiter: TokenBucketLimiter;
  logger: Logger;
}

/**
 * The built-in authorization server for SMART Backend Services: POST /auth/token takes a
 * client_credentials grant authenticated with private_key_jwt and answers a short-lived
 * access token signed with the server's key; GET /auth/jwks publishes that key.
 */
export function tokenEndpointRouter(deps: TokenEndpointDependencies): Router {
  const router = express.Router();
  const remoteKeySets = new Map<string, JWTVerifyGetKey>();
  const { config } = deps;

  const keysOf = (client: RegisteredClient): JWTVerifyGetKey => {
    if (client.jwks !== undefined) return createLocalJWKSet(client.jwks);
    let keys = remoteKeySets.get(client.jwksUrl!);
    if (keys === undefined) {
      keys = createRemoteJWKSet(new URL(client.jwksUrl!), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      remoteKeySets.set(client.jwksUrl!, keys);
    }
    return keys;
  };

  /** client-confidential-asymmetric.html#signature-verification, and RFC 7523 section 3. */
  const authenticateClient = async (body: Record<string, string>, tokenUrl: string): Promise<RegisteredClient> => {
    if (body.client_assertion_type !== JWT_BEARER) {
      throw new OAuthError(401, 'invalid_client', `client_assertion_type must be ${JWT_BEARER}`);
    }
    const assertion = body.client_assertion ?? '';
    let header: ProtectedHeaderParameters;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(assertion);
      claims = decodeJwt(assertion);
    } catch {
      throw new OAuthError(401, 'invalid_client', 'client_assertion is not a JWT');
    }
    if (typeof header.alg !== 'string' || !ALLOWED_ALGORITHMS.includes(header.alg)) {
      throw new OAuthError(401, 'invalid_client', `client_assertion must be signed with one of ${ALLOWED_ALGORITHMS.join(', ')}`);
    }
    if (typeof header.kid !== 'string') throw new OAuthError(401, 'invalid_client', 'client_assertion needs a kid header naming the signing key');
    const clientId = claims.iss;
    if (typeof clientId !== 'string' || claims.sub !== clientId) throw new OAuthError(401, 'invalid_client', 'client_assertion iss and sub must both be the client_id');
    if (body.client_id !== undefined && body.client_id !== clientId) throw new OAuthError(401, 'invalid_client', 'client_id does not match the assertion');
    const client = await deps.clients.find(clientId);
    if (!client || !client.enabled) throw new OAuthError(401, 'invalid_client', 'Unknown or disabled client');
    if (header.jku !== undefined && header.jku !== client.jwksUrl) throw new OAuthError(401, 'invalid_client', 'jku is not the JWK Set URL registered for this client');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, keysOf(client), {
        issuer: clientId,
        subject: clientId,
        audience: tokenUrl,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: config.authClockSkewSeconds,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch (error) {
      throw new OAuthError(401, 'invalid_client', assertionFailure(error, tokenUrl));
    }
    const now = Math.floor(Date.now() / 1000);
    if (payload.exp! > now + MAX_ASSERTION_SECONDS + config.authClockSkewSeconds) {
      throw new OAuthError(401, 'invalid_client', 'client_assertion exp must be at most five minutes ahead');
    }
    if (payload.iat !== undefined && (payload.iat > now + config.authClockSkewSeconds || payload.iat < now - MAX_ASSERTION_SECONDS - config.authClockSkewSeconds)) {
      throw new OAuthError(401, 'invalid_client', 'client_assertion iat must be within the last five minutes, not in the future');
    }
    const fresh = await deps.clients.useAssertion(clientId, String(payload.jti), new Date((payload.exp! + config.authClockSkewSeconds) * 1000));
    if (!fresh) throw new OAuthError(401, 'invalid_client', 'client_assertion was already used (jti replay)');
    return client;
  };

  router.post('/auth/token', express.urlencoded({ extended: false, limit: '64kb' }), async (req: Request, res: Response) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, string>;
    // Keyed on the caller's address first: rotating client_id gains no attempts (nor limiter keys).
    const retryAfter = deps.limiter.take(`token-ip:${callerAddress(req)}`) ?? deps.limiter.take(`token:${body.client_id ?? callerAddress(req)}`);
    if (retryAfter !== undefined) {
      res.setHeader('Retry-After', String(retryAfter));
      res.status(429).json({ error: 'slow_down', error_description: `Too many token requests; retry after ${retryAfter} s` });
      return;
    }
    const tokenUrl = `${authBaseUrl(config.baseUrl)}/token`;
    try {
      if (body.grant_type !== 'client_credentials') {
        throw new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials (SMART Backend Services) is supported');
      }
      const client = await authenticateClient(body, tokenUrl);
      const allowed = parseScopes(client.scope).resources;
      // No scope asked for (RFC 6749 §3.3): the client's registered scopes.
      const requested = body.scope === undefined || body.scope.trim() === '' ? { resources: allowed } : parseScopes(body.scope);
      if (requested.resources.length === 0) throw new OAuthError(400, 'invalid_scope', 'Ask for at least one SMART scope, e.g. system/*.rs');
      // Backend Services: the server grants what was asked within what the client was pre-authorized for.
      const granted = requested.resources.filter(
        (r) => allowed.some((a) => scopeCovers(a, r)) && (r.context !== 'patient' || client.patient !== undefined),
      );
      if (granted.length === 0) throw new OAuthError(400, 'invalid_scope', 'None of the requested scopes is within what this client is registered for');
      const key = await deps.keys.current();
      const scope = granted.map((s) => s.text).join(' ');
      const now = Math.floor(Date.now() / 1000);
      const claims: JWTPayload = { scope, client_id: client.clientId };
      if (client.patient !== undefined) claims.patient = client.patient;
      if (client.fhirUser !== undefined) claims.fhirUser = client.fhirUser;
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(authBaseUrl(config.baseUrl))
        .setSubject(client.clientId)
        .setAudience(config.baseUrl)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + config.tokenLifetimeSeconds)
        .setJti(randomUUID())
        .sign(key.privateKey);
      deps.logger.info({ clientId: client.clientId, scope, expiresIn: config.tokenLifetimeSeconds }, 'access token issued');
      const response: Record<string, unknown> = { access_token: accessToken, token_type: 'bearer', expires_in: config.tokenLifetimeSeconds, scope };
      if (client.patient !== undefined) response.patient = client.patient;
      res.status(200).json(response);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      deps.logger.info({ error: error.error, reason: error.description, clientId: body.client_id }, 'token request refused');
      res.status(error.status).json({ error: error.error, error_description: error.description });
    }
  });

  router.get('/auth/jwks', async (_req: Request, res: Response) => {
    res.json(await deps.keys.publicJwks());
  });
  return router;
}
