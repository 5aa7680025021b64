import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { FhirError } from '../fhir/fhir-error';
import { unauthorized } from './auth-errors';
import { PATIENT_LINK_TASK_CLAIM } from './patient-link-token';
import type { Principal } from './principal';
import { parseScopes } from './scopes';
import { ALLOWED_ALGORITHMS, type SigningKeys } from './signing-keys';

export interface TokenVerifierOptions {
  /** The expected `aud`: our FHIR base URL (read at each check). */
  audience: () => string;
  clockSkewSeconds: number;
  /**
   * Tokens this server signs itself: those of the built-in token endpoint and patient links.
   * `linksOnly` (the built-in endpoint off): only patient links, which the server makes whatever
   * authorization server the rest of its clients use.
   */
  builtin: { issuer: string; keys: SigningKeys; linksOnly?: boolean } | undefined;
  /** Tokens of an external authorization server, verified against its JWKS. */
  external: { issuer: string; jwksUrl: string | undefined; jwksFile: string | undefined } | undefined;
  /** Longest lifetime (exp - iat) accepted from the external issuer, in seconds (the built-in endpoint's is TOKEN_LIFETIME_SECONDS). */
  maxLifetimeSeconds?: number;
}

function invalid(description: string): FhirError {
  return unauthorized(description, true);
}

function stringClaim(payload: JWTPayload, name: string): string | undefined {
  const value = payload[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Why jose refused a token, in words a client can act on (never the token itself). */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'the access token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the access token is not valid yet (nbf)';
    if (error.claim === 'aud') return 'the access token is not meant for this server (aud)';
    if (error.claim === 'iss') return 'the access token comes from an issuer this server does not trust (iss)';
    return `the access token's "${error.claim}" claim is not acceptable`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `the access token's algorithm is not accepted (allowed: ${ALLOWED_ALGORITHMS.join(', ')})`;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed) {
    return 'the access token signature does not verify with the issuer\'s keys';
  }
  return 'the access token is not a valid signed JWT';
}

/**
 * Verifies bearer access tokens: a JWS signed by a trusted issuer's key with an allowed
 * algorithm, `iss` of that issuer, `aud` our base URL, `exp` required, `exp`/`nbf` with a
 * small clock skew. Turns the claims into a Principal.
 */
export class TokenVerifier {
  private externalKeys: JWTVerifyGetKey | undefined;
  private builtinKeys: Promise<JWTVerifyGetKey> | undefined;

  constructor(private readonly options: TokenVerifierOptions) {
    const external = options.external;
    if (external?.jwksUrl !== undefined) {
      this.externalKeys = createRemoteJWKSet(new URL(external.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    } else if (external?.jwksFile !== undefined) {
      this.externalKeys = createLocalJWKSet(JSON.parse(readFileSync(external.jwksFile, 'utf8')) as JSONWebKeySet);
    }
  }

  private keysFor(issuer: string): Promise<JWTVerifyGetKey> | JWTVerifyGetKey | undefined {
    const { builtin, external } = this.options;
    if (builtin !== undefined && issuer === builtin.issuer) {
      this.builtinKeys ??= builtin.keys.publicJwks().then((jwks) => createLocalJWKSet(jwks));
      return this.builtinKeys;
    }
    if (external !== undefined && issuer === external.issuer) return this.externalKeys;
    return undefined;
  }

  async verify(token: string): Promise<Principal> {
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw invalid('the access token is not a JWT');
    }
    const issuer = typeof unverified.iss === 'string' ? unverified.iss : '';
    const keys = await this.keysFor(issuer);
    if (keys === undefined) throw invalid('the access token comes from an issuer this server does not trust (iss)');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience: this.options.audience(),
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: this.options.clockSkewSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw invalid(reasonOf(error));
    }
    // An external token that lives longer than allowed is refused even while valid: a leaked one would stay usable for that long.
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
    const maxLifetime = this.options.maxLifetimeSeconds;
    if (maxLifetime !== undefined && issuer !== this.options.builtin?.issuer && payload.exp! - issuedAt > maxLifetime + this.options.clockSkewSeconds) {
      throw invalid(`the access token's lifetime (exp - iat) exceeds the ${maxLifetime} s this server accepts (AUTH_MAX_TOKEN_LIFETIME_SECONDS)`);
    }
    const scopeClaim = payload.scope ?? payload.scp;
    const scope = typeof scopeClaim === 'string' ? scopeClaim : Array.isArray(scopeClaim) ? scopeClaim.filter((s): s is string => typeof s === 'string') : undefined;
    if (issuer === this.options.builtin?.issuer && this.options.builtin.linksOnly && stringClaim(payload, PATIENT_LINK_TASK_CLAIM) === undefined) {
      throw invalid('the built-in token endpoint is off (AUTH_BUILTIN_SERVER=off): this server accepts its own tokens for patient links only');
    }
    const clientId = stringClaim(payload, 'client_id') ?? stringClaim(payload, 'azp') ?? stringClaim(payload, 'sub');
    if (clientId === undefined) throw invalid('the access token names no client (client_id, azp or sub)');
    return {
      clientId,
      subject: stringClaim(payload, 'sub'),
      issuer,
      user: stringClaim(payload, 'fhirUser'),
      patient: stringClaim(payload, 'patient'),
      scopes: parseScopes(scope).resources,
      tokenId: stringClaim(payload, 'jti'),
      patientLinkTask: stringClaim(payload, PATIENT_LINK_TASK_CLAIM),
    };
  }
}
