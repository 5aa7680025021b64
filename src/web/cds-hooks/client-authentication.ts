import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWK, type JWTVerifyGetKey } from 'jose';
import type { CdsClient, CdsHooksStore } from '../../store/cds-hooks-store';
import { CdsHooksError } from './errors';

/**
 * Asymmetric algorithms only (CDS Hooks 2.0 "JWT Signing Algorithm": never `none`, never an
 * HMAC): the recommended ES384 and RS384, and ES256 / RS256, which real clients use (the public
 * CDS Hooks sandbox signs with ES256).
 */
export const CDS_CLIENT_ALGORITHMS = ['ES384', 'RS384', 'ES256', 'RS256'];
/** How old `iat` may be: a CDS client signs a fresh JWT for every call. */
const MAX_TOKEN_AGE_SECONDS = 300;
const KEY_SET_MAX_AGE_MS = 600_000;
const KEY_SET_COOLDOWN_MS = 30_000;
const KEY_SET_MAX_BYTES = 256 * 1024;
const KEY_SET_TIMEOUT_MS = 5_000;

/** The client a call was authenticated as. */
export interface CdsCaller {
  issuer: string;
}

/**
 * Keys of a JWK Set as a verifier. `use` is dropped: a client's set names the keys it signs
 * with, and the public CDS Hooks sandbox publishes its signing key with "use": "enc", which a
 * verifier that keeps only use=sig would never find.
 */
export function keySetVerifier(jwks: { keys: unknown[] }): JWTVerifyGetKey {
  const keys = jwks.keys.filter((k): k is JWK => typeof k === 'object' && k !== null).map(({ use: _use, ...key }) => key);
  return createLocalJWKSet({ keys } as JSONWebKeySet);
}

/** JWK Sets published at a URL (a client's jwks_url or an allowed jku), fetched with a timeout and a size limit, cached. */
class RemoteKeySets {
  private readonly cache = new Map<string, { verifier: JWTVerifyGetKey; fetchedAt: number }>();

  async get(url: string, refresh: boolean): Promise<JWTVerifyGetKey> {
    const cached = this.cache.get(url);
    const age = cached === undefined ? Infinity : Date.now() - cached.fetchedAt;
    if (cached !== undefined && age < (refresh ? KEY_SET_COOLDOWN_MS : KEY_SET_MAX_AGE_MS)) return cached.verifier;
    const verifier = keySetVerifier(await fetchKeySet(url));
    this.cache.set(url, { verifier, fetchedAt: Date.now() });
    return verifier;
  }
}

async function fetchKeySet(url: string): Promise<{ keys: unknown[] }> {
  let text: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(KEY_SET_TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`status ${response.status}`);
    text = await response.text();
  } catch {
    throw CdsHooksError.unauthorized('the CDS client\'s JWK Set could not be fetched');
  }
  if (text.length > KEY_SET_MAX_BYTES) throw CdsHooksError.unauthorized('the CDS client\'s JWK Set is too large');
  try {
    const parsed = JSON.parse(text) as { keys?: unknown };
    if (Array.isArray(parsed.keys)) return { keys: parsed.keys };
  } catch {
    /* refused below */
  }
  throw CdsHooksError.unauthorized('the CDS client\'s JWK Set is not a JWK Set');
}

/** Why jose refused a JWT, in words the client can act on (never the JWT itself). */
function reasonOf(error: unknown): string {
  // maxTokenAge refuses an old iat with JWTExpired too: look at the claim first.
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    if (error.claim === 'iat') return 'the JWT was issued too long ago or in the future (iat)';
    if (error instanceof errors.JWTExpired) return 'the JWT has expired (exp)';
    if (error.claim === 'aud') return 'the JWT\'s aud is not the URL of the endpoint called';
    return `the JWT's "${error.claim}" claim is missing or not acceptable (iss, aud, exp, iat and jti are required)`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `the JWT's algorithm is not accepted (allowed: ${CDS_CLIENT_ALGORITHMS.join(', ')})`;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return 'the JWT\'s signature does not verify with the CDS client\'s keys';
  }
  return 'the bearer token is not a valid signed JWT';
}

/**
 * Authenticates CDS clients (CDS Hooks 2.0 "Trusting CDS Clients"): a JWT signed with the key
 * of a registered client (`iss` on the allow-list; its keys from registration, its JWK Set
 * URL, or a `jku` on its allow-list), `aud` the exact URL of the endpoint called, `exp`,
 * `iat` at most five minutes old, and a `jti` not used before by that client (kept in
 * PostgreSQL, so a replay to another instance fails too).
 */
export class CdsClientAuthenticator {
  private readonly remote = new RemoteKeySets();

  constructor(
    private readonly store: CdsHooksStore,
    private readonly clockSkewSeconds: number,
  ) {}

  async authenticate(authorization: string | undefined, audiences: string[]): Promise<CdsCaller> {
    const match = /^Bearer +([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/i.exec(authorization ?? '');
    if (match === null) throw CdsHooksError.unauthorized('an Authorization: Bearer header with a signed JWT is required (CDS Hooks: Trusting CDS Clients)');
    const token = match[1];
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: ReturnType<typeof decodeJwt>;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw CdsHooksError.unauthorized('the bearer token is not a JWT');
    }
    if (typeof header.alg !== 'string' || !CDS_CLIENT_ALGORITHMS.includes(header.alg)) {
      throw CdsHooksError.unauthorized(`the JWT's algorithm is not accepted (allowed: ${CDS_CLIENT_ALGORITHMS.join(', ')})`);
    }
    if (typeof header.kid !== 'string' || header.kid === '') throw CdsHooksError.unauthorized('the JWT header needs a kid naming the signing key');
    if (header.typ !== undefined && String(header.typ).toUpperCase() !== 'JWT') throw CdsHooksError.unauthorized('the JWT header typ must be JWT');
    // PostgreSQL text holds no NUL: such an iss cannot be a registered one.
    const issuer = typeof claims.iss === 'string' && !claims.iss.includes('\u0000') ? claims.iss : undefined;
    const client = issuer !== undefined ? await this.store.findClient(issuer) : undefined;
    if (issuer === undefined || client === undefined || !client.enabled) throw CdsHooksError.unauthorized('the JWT\'s iss is not a trusted CDS client');
    const jku = header.jku;
    if (jku !== undefined && jku !== client.jwksUrl && !client.jkuAllowList.includes(jku)) {
      throw CdsHooksError.unauthorized('the JWT\'s jku is not on the allow-list of this CDS client');
    }
    const payload = await this.verify(token, client, jku, issuer, audiences);
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256 || payload.jti.includes('\u0000')) throw CdsHooksError.unauthorized('the JWT needs a jti (a nonce of at most 256 characters)');
    // Kept while the JWT could still be accepted: until exp, or until iat is too old, whichever comes first.
    const lastAccepted = Math.min(payload.exp!, payload.iat! + MAX_TOKEN_AGE_SECONDS) + 2 * this.clockSkewSeconds;
    if (!(await this.store.useJti(issuer, payload.jti, new Date(lastAccepted * 1000)))) {
      throw CdsHooksError.unauthorized('the JWT was already used (jti replay)');
    }
    return { issuer };
  }

  private async verify(token: string, client: CdsClient, jku: string | undefined, issuer: string, audiences: string[]) {
    const options = {
      issuer,
      audience: audiences,
      algorithms: CDS_CLIENT_ALGORITHMS,
      clockTolerance: this.clockSkewSeconds,
      maxTokenAge: MAX_TOKEN_AGE_SECONDS + this.clockSkewSeconds,
      requiredClaims: ['exp', 'iat', 'jti'],
    };
    const url = jku ?? (client.jwks === undefined ? client.jwksUrl : undefined);
    try {
      if (url === undefined) return (await jwtVerify(token, keySetVerifier(client.jwks!), options)).payload;
      try {
        return (await jwtVerify(token, await this.remote.get(url, false), options)).payload;
      } catch (error) {
        // A key rotated since the set was fetched: fetch again (at most every 30 s) and retry once.
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        return (await jwtVerify(token, await this.remote.get(url, true), options)).payload;
      }
    } catch (error) {
      if (error instanceof CdsHooksError) throw error;
      throw CdsHooksError.unauthorized(reasonOf(error));
    }
  }
}
