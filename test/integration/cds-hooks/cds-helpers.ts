import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, type JWTPayload } from 'jose';
import type { ServiceRequest } from 'fhir/r4';
import type pino from 'pino';
import { CdsHooksStore } from '../../../src/store/cds-hooks-store';
import { startTestServer, type TestServer } from '../../support/test-server';
import { newKey, type IssuerKey } from '../security/security-helpers';

/** The public origin the server believes it has (BASE_URL without /fhir): the `aud` base of every JWT. */
export const ORIGIN = 'https://cds.test';
export const BASE_URL = `${ORIGIN}/fhir`;
export const EHR_ISSUER = 'https://ehr.test';
export const CPT = 'http://www.ama-assn.org/go/cpt';

/** A client key pair (public JWK with kid, alg and "use": "sig"), as the security tests make them. */
export { newKey };
export type SigningKey = IssuerKey;

export interface CdsServer {
  server: TestServer & { databaseUrl?: string };
  key: SigningKey;
  /** A CDS client JWT for the endpoint path (e.g. `/cds-services/procedure-education`): valid unless claims/header say otherwise. */
  jwt(endpointPath: string, claims?: JWTPayload, options?: { key?: SigningKey; header?: Record<string, unknown> }): Promise<string>;
  /** POST/GET against the server's origin (not the FHIR base), with a fresh valid JWT unless `token` is given (null: none). */
  call(method: 'GET' | 'POST' | 'OPTIONS', endpointPath: string, body?: unknown, token?: string | null, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }>;
  registerClient(issuer: string, key: SigningKey | { jwksUrl: string }, jku?: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A server with the real library, AUTH on, and the EHR_ISSUER registered as a trusted CDS
 * client: through `npm run client -- cds-register` on Postgres (the command needs a database
 * it can open beside the server), through the store on PGlite (one process per database).
 */
export async function startCdsServer(env: Record<string, string> = {}, logger?: pino.Logger): Promise<CdsServer> {
  const server = await startTestServer({ env: { AUTH: 'on', BASE_URL, LOAD_CONTENT: 'true', RATE_LIMIT_PER_MINUTE: '0', ...env }, logger });
  const dir = mkdtempSync(path.join(tmpdir(), 'cds-hooks-'));
  const key = await newKey('ES384');
  const registerClient: CdsServer['registerClient'] = async (issuer, keys, jku = []) => {
    const jwks = 'publicJwk' in keys ? { keys: [keys.publicJwk] } : undefined;
    const jwksUrl = 'jwksUrl' in keys ? keys.jwksUrl : undefined;
    if (server.databaseUrl !== undefined) {
      const args = ['tsx', 'src/cli/client-command.ts', 'cds-register', '--iss', issuer];
      if (jwks !== undefined) {
        const file = path.join(dir, `${randomUUID()}.json`);
        writeFileSync(file, JSON.stringify(jwks));
        args.push('--jwks-file', file);
      } else args.push('--jwks-url', jwksUrl!);
      for (const u of jku) args.push('--jku', u);
      const { stdout } = await promisify(execFile)('npx', args, { env: { ...process.env, DATABASE_URL: server.databaseUrl } });
      expect(stdout).toContain(`registered CDS client ${issuer}`);
    } else {
      await new CdsHooksStore(server.ctx.database).registerClient({ issuer, jwks, jwksUrl, jkuAllowList: jku });
    }
  };
  await registerClient(EHR_ISSUER, key);
  const jwt: CdsServer['jwt'] = async (endpointPath, claims = {}, options = {}) => {
    const signer = options.key ?? key;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'JWT', ...options.header })
      .setIssuer(typeof claims.iss === 'string' ? claims.iss : EHR_ISSUER)
      .setAudience(claims.aud ?? `${ORIGIN}${endpointPath}`)
      .setIssuedAt(typeof claims.iat === 'number' ? claims.iat : now)
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now + 300)
      .setJti(typeof claims.jti === 'string' ? claims.jti : randomUUID())
      .sign(signer.privateKey);
  };
  const call: CdsServer['call'] = async (method, endpointPath, body, token, headers = {}) => {
    const bearer = token === undefined ? await jwt(endpointPath) : token;
    const h = new Headers(headers);
    if (bearer !== null) h.set('authorization', `Bearer ${bearer}`);
    if (body !== undefined && !h.has('content-type')) h.set('content-type', 'application/json');
    return server.fetch(`${server.origin}${endpointPath}`, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  };
  return {
    server,
    key,
    jwt,
    call,
    registerClient,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A site's ConceptMap mapping its order code SPINE-77 (system `site`) onto CPT 63047, the library's foraminotomy. */
export function siteConceptMap(site: string, url: string) {
  return {
    resourceType: 'ConceptMap',
    status: 'active',
    url,
    group: [{ source: site, target: CPT, element: [{ code: 'SPINE-77', target: [{ code: '63047', equivalence: 'equivalent' }] }] }],
  };
}

export function serviceRequest(id: string, code: string, extra: Partial<ServiceRequest> = {}, system = CPT): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id,
    status: 'draft',
    intent: 'order',
    code: { coding: [{ system, code }] },
    subject: { reference: 'Patient/pat-1' },
    ...extra,
  };
}

export function medicationRequest(id: string) {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'draft',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '617993' }] },
    subject: { reference: 'Patient/pat-1' },
  };
}

export function hookRequest(hook: 'order-select' | 'order-sign', orders: unknown[], selections?: string[], extra: Record<string, unknown> = {}) {
  return {
    hook,
    hookInstance: randomUUID(),
    context: {
      userId: 'Practitioner/dr-1',
      patientId: 'pat-1',
      encounterId: 'enc-1',
      ...(selections !== undefined ? { selections } : {}),
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: orders.map((resource) => ({ resource })) },
    },
    ...extra,
  };
}

export const SELECT = '/cds-services/procedure-education';
export const SIGN = '/cds-services/procedure-education-sign';

/** Every path in a JSON value holding null, "", [], or {} (CDS Hooks: none allowed, except `cards: []`). */
export function emptyValues(value: unknown, at = '$'): string[] {
  if (value === null || value === '') return [at];
  if (Array.isArray(value)) return value.length === 0 ? [at] : value.flatMap((v, i) => emptyValues(v, `${at}[${i}]`));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? [at] : entries.flatMap(([k, v]) => emptyValues(v, `${at}.${k}`));
  }
  return [];
}
