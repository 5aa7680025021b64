import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type KeyLike } from 'jose';
import { startTestServer, type TestServer } from '../../support/test-server';

/** The FHIR base the server believes it has: the `aud` of every token. */
export const BASE_URL = 'http://fhir.test/fhir';
/** An external authorization server, trusted through a JWKS file written at test time. */
export const EXTERNAL_ISSUER = 'https://issuer.test';

export interface IssuerKey {
  privateKey: KeyLike;
  publicJwk: JWK;
  kid: string;
  alg: string;
}

export async function newKey(alg = 'ES256', kid: string = randomUUID()): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, kid, alg };
}

export interface SecureServer {
  server: TestServer & { databaseUrl?: string };
  issuerKey: IssuerKey;
  /** A token of the external issuer with these claims (defaults: valid for 5 minutes). */
  token(claims: JWTPayload & { scope?: string; patient?: string }, options?: { key?: IssuerKey; header?: Record<string, unknown> }): Promise<string>;
  /** fetch against the FHIR base with a bearer token (none when undefined). */
  as(token: string | undefined): (path: string, init?: RequestInit) => ReturnType<TestServer['fetch']>;
  close(): Promise<void>;
}

/** A server with AUTH=on that trusts EXTERNAL_ISSUER (keys in a temporary JWKS file) and its own token endpoint. */
export async function startSecureServer(env: Record<string, string> = {}, storage: { databaseUrl?: string; pgliteDir?: string } = {}): Promise<SecureServer> {
  const issuerKey = await newKey('ES256');
  const dir = mkdtempSync(path.join(tmpdir(), 'fhir-security-'));
  const jwksFile = path.join(dir, 'issuer-jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [issuerKey.publicJwk] }));
  const server = await startTestServer({
    ...storage,
    env: {
      AUTH: 'on',
      BASE_URL,
      AUTH_ISSUER: EXTERNAL_ISSUER,
      AUTH_JWKS_FILE: jwksFile,
      RATE_LIMIT_PER_MINUTE: '0',
      // The real library: public reads and $apply run against PlanDefinition/foraminotomy.
      LOAD_CONTENT: 'true',
      ...env,
    },
  });
  const token: SecureServer['token'] = async (claims, options = {}) => {
    const key = options.key ?? issuerKey;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: 'test-client', ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : EXTERNAL_ISSUER)
      .setAudience(claims.aud ?? BASE_URL)
      .setIssuedAt(now)
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now + 300)
      .setJti(randomUUID())
      .sign(key.privateKey);
  };
  const as: SecureServer['as'] = (bearer) => (p, init = {}) => {
    const headers = new Headers(init.headers);
    if (bearer !== undefined) headers.set('authorization', `Bearer ${bearer}`);
    return server.fetch(p, { ...init, headers });
  };
  return {
    server,
    issuerKey,
    token,
    as,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** JSON body for fetch. */
export function json(method: string, body: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method, body: JSON.stringify(body), headers: { 'content-type': 'application/fhir+json', ...headers } };
}

type Entry = { resource?: { resourceType: string; id: string }; search?: { mode?: string } };

/** `Type/id` of every resource in a searchset or history Bundle. */
export function refs(bundle: { entry?: Entry[] }): string[] {
  return (bundle.entry ?? []).filter((e) => e.resource && e.resource.resourceType !== 'OperationOutcome').map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);
}

/** Polls until `check` holds (AuditEvents are written once the response is sent). */
export async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await probe();
  }
  return value;
}
