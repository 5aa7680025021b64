/**
 * SMART Backend Services end to end against the built-in token endpoint: discover, register
 * a client (through the CLI on Postgres), sign a client assertion, get a token, use it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { ClientRegistry, type RegisteredClient } from '../../../src/auth/client-registry';
import { BASE_URL, newKey, startSecureServer, type IssuerKey, type SecureServer } from './security-helpers';
import { seed } from './seed';

let secure: SecureServer;
let dir: string;
const TOKEN_URL = 'http://fhir.test/auth/token';

beforeAll(async () => {
  secure = await startSecureServer();
  await seed(secure);
  dir = mkdtempSync(path.join(tmpdir(), 'fhir-clients-'));
});
afterAll(async () => {
  await secure.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Registers through `npm run client -- register` on Postgres (the CLI needs a database it can open), directly on PGlite. */
async function register(clientId: string, key: IssuerKey, scope: string, patient?: string): Promise<void> {
  if (secure.server.engine === 'postgres') {
    const jwksFile = path.join(dir, `${clientId}.json`);
    writeFileSync(jwksFile, JSON.stringify({ keys: [key.publicJwk] }));
    const args = ['tsx', 'src/cli/client-command.ts', 'register', '--id', clientId, '--jwks-file', jwksFile, '--scope', scope];
    if (patient !== undefined) args.push('--patient', patient);
    const { stdout } = await promisify(execFile)('npx', args, { env: { ...process.env, DATABASE_URL: secure.server.databaseUrl } });
    expect(stdout).toContain(`registered ${clientId}`);
    return;
  }
  const client: Omit<RegisteredClient, 'enabled'> = { clientId, jwks: { keys: [key.publicJwk] }, jwksUrl: undefined, scope, patient, fhirUser: undefined };
  await new ClientRegistry(secure.server.ctx.database).register(client);
}

async function assertion(clientId: string, key: IssuerKey, claims: { aud?: string; exp?: number; jti?: string; iss?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(claims.aud ?? TOKEN_URL)
    .setExpirationTime(claims.exp ?? now + 240)
    .setJti(claims.jti ?? randomUUID())
    .sign(key.privateKey);
}

async function requestToken(form: Record<string, string>) {
  const res = await fetch(`${secure.server.origin}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, string> };
}

const grant = (clientAssertion: string, scope: string) => ({
  grant_type: 'client_credentials',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: clientAssertion,
  scope,
});

test('discovery: smart-configuration and the CapabilityStatement name the token endpoint', async () => {
  for (const url of [`${secure.server.origin}/.well-known/smart-configuration`, `${secure.server.origin}/fhir/.well-known/smart-configuration`]) {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config.token_endpoint).toBe(TOKEN_URL);
    expect(config.token_endpoint_auth_methods_supported).toEqual(['private_key_jwt']);
    expect(config.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
    expect(config.grant_types_supported).toEqual(['client_credentials']);
    expect(config.capabilities).toEqual(expect.arrayContaining(['client-confidential-asymmetric', 'permission-v2', 'permission-v1', 'permission-patient']));
    expect(config.authorization_endpoint).toBeUndefined();
  }
  const metadata = await secure.as(undefined)('/metadata');
  const security = metadata.body.rest[0].security;
  expect(security.service[0].coding[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' });
  const uris = security.extension.find((e: { url: string }) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
  expect(uris.extension).toContainEqual({ url: 'token', valueUri: TOKEN_URL });
});

test('the server publishes its signing key, public part only', async () => {
  const res = await fetch(`${secure.server.origin}/auth/jwks`);
  const jwks = (await res.json()) as { keys: Record<string, unknown>[] };
  expect(jwks.keys).toHaveLength(1);
  expect(jwks.keys[0].kid).toEqual(expect.any(String));
  expect(jwks.keys[0].d).toBeUndefined();
});

test('register, sign an assertion, get a token, use it', async () => {
  const key = await newKey('RS384');
  await register('backend-1', key, 'system/*.rs system/Task.cu');
  const res = await requestToken(grant(await assertion('backend-1', key), 'system/Task.rs system/Patient.rs'));
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.body).toMatchObject({ token_type: 'bearer', expires_in: 300, scope: 'system/Task.rs system/Patient.rs' });
  const api = secure.as(res.body.access_token);
  const tasks = await api('/Task');
  expect(tasks.status).toBe(200);
  expect(tasks.body.total).toBe(4);
  expect((await api('/Patient/pat-b')).status).toBe(200);
  // Granted rs only: no writes, and nothing outside Task and Patient.
  expect((await api('/Task', { method: 'POST', body: JSON.stringify({ resourceType: 'Task', status: 'draft', intent: 'order' }) })).status).toBe(403);
  expect((await api('/CarePlan')).status).toBe(403);
});

test('asking for more than registered grants only what was registered; nothing at all is invalid_scope', async () => {
  const key = await newKey('ES384');
  await register('backend-2', key, 'system/Task.rs');
  const partial = await requestToken(grant(await assertion('backend-2', key), 'system/Task.rs system/Patient.rs'));
  expect(partial.status).toBe(200);
  expect(partial.body.scope).toBe('system/Task.rs');
  const none = await requestToken(grant(await assertion('backend-2', key), 'system/*.cruds'));
  expect(none.status).toBe(400);
  expect(none.body.error).toBe('invalid_scope');
  // v1 scopes are understood: .read is .rs
  const v1 = await requestToken(grant(await assertion('backend-2', key), 'system/Task.read'));
  expect(v1.status).toBe(200);
  expect((await secure.as(v1.body.access_token)('/Task')).status).toBe(200);
});

test('a client registered with a patient gets patient/ tokens confined to that patient', async () => {
  const key = await newKey('ES256');
  await register('patient-app', key, 'patient/*.rs', 'pat-b');
  const res = await requestToken(grant(await assertion('patient-app', key), 'patient/*.rs'));
  expect(res.status).toBe(200);
  expect(res.body.patient).toBe('pat-b');
  const api = secure.as(res.body.access_token);
  expect((await api('/Task')).body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['task-b1']);
  expect((await api('/Task/task-a1')).status).toBe(404);
});

test('refused token requests', async () => {
  const key = await newKey('ES384');
  await register('backend-3', key, 'system/*.rs');
  const stranger = await newKey('ES384', key.kid);
  const cases: [string, Record<string, string>, number, string][] = [
    ['wrong grant type', { ...grant(await assertion('backend-3', key), 'system/*.rs'), grant_type: 'password' }, 400, 'unsupported_grant_type'],
    ['no assertion type', { ...grant(await assertion('backend-3', key), 'system/*.rs'), client_assertion_type: 'x' }, 401, 'invalid_client'],
    ['unknown client', grant(await assertion('nobody', key), 'system/*.rs'), 401, 'invalid_client'],
    ['assertion for another audience', grant(await assertion('backend-3', key, { aud: BASE_URL }), 'system/*.rs'), 401, 'invalid_client'],
    ['signed by a key the client did not register', grant(await assertion('backend-3', stranger), 'system/*.rs'), 401, 'invalid_client'],
    ['expired assertion', grant(await assertion('backend-3', key, { exp: Math.floor(Date.now() / 1000) - 600 }), 'system/*.rs'), 401, 'invalid_client'],
    ['assertion valid for an hour', grant(await assertion('backend-3', key, { exp: Math.floor(Date.now() / 1000) + 3600 }), 'system/*.rs'), 401, 'invalid_client'],
    ['iss is not the client', grant(await assertion('backend-3', key, { iss: 'someone-else' }), 'system/*.rs'), 401, 'invalid_client'],
    ['client_id differs from the assertion', { ...grant(await assertion('backend-3', key), 'system/*.rs'), client_id: 'backend-1' }, 401, 'invalid_client'],
  ];
  for (const [name, form, status, error] of cases) {
    const res = await requestToken(form);
    expect({ name, status: res.status, error: res.body.error }).toEqual({ name, status, error });
  }
});

test('a replayed client assertion is refused', async () => {
  const key = await newKey('ES384');
  await register('backend-4', key, 'system/*.rs');
  const once = await assertion('backend-4', key);
  expect((await requestToken(grant(once, 'system/*.rs'))).status).toBe(200);
  const replay = await requestToken(grant(once, 'system/*.rs'));
  expect(replay.status).toBe(401);
  expect(replay.body).toMatchObject({ error: 'invalid_client', error_description: expect.stringMatching(/already used/) });
});

test('a disabled client gets no token; tokens of the built-in server for another audience are refused', async () => {
  const key = await newKey('ES384');
  await register('backend-5', key, 'system/*.rs');
  await new ClientRegistry(secure.server.ctx.database).setEnabled('backend-5', false);
  expect((await requestToken(grant(await assertion('backend-5', key), 'system/*.rs'))).status).toBe(401);
});

test('a token request that names no scope is granted the scopes the client is registered for', async () => {
  const key = await newKey('ES256');
  await register('backend-6', key, 'system/Task.rs system/Patient.rs');
  for (const form of [{ ...grant(await assertion('backend-6', key), '') }, (({ scope: _scope, ...rest }) => rest)(grant(await assertion('backend-6', key), ''))]) {
    const res = await requestToken(form);
    expect(res.status).toBe(200);
    expect(res.body.scope.split(' ').sort()).toEqual(['system/Patient.rs', 'system/Task.rs']);
    expect((await secure.as(res.body.access_token)('/Task')).status).toBe(200);
  }
  // A scope that names no SMART resource scope is still refused.
  const other = await requestToken(grant(await assertion('backend-6', key), 'openid'));
  expect(other.body.error).toBe('invalid_scope');
});

test('a refused client assertion names the check that failed (signature, aud, exp, jti) and no key material', async () => {
  const key = await newKey('ES384');
  await register('backend-7', key, 'system/*.rs');
  const stranger = await newKey('ES384', key.kid);
  const now = Math.floor(Date.now() / 1000);
  const withoutJti = await new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer('backend-7')
    .setSubject('backend-7')
    .setAudience(TOKEN_URL)
    .setExpirationTime(now + 240)
    .sign(key.privateKey);
  const cases: [string, string, RegExp][] = [
    ['signature', await assertion('backend-7', stranger), /signature/],
    ['aud', await assertion('backend-7', key, { aud: BASE_URL }), /\baud\b.*token URL/],
    ['exp', await assertion('backend-7', key, { exp: now - 600 }), /expired \(exp/],
    ['jti', withoutJti, /\bjti\b/],
  ];
  const secrets = [key.publicJwk.x, key.publicJwk.y, stranger.publicJwk.x, stranger.publicJwk.y].filter((s): s is string => typeof s === 'string');
  for (const [check, clientAssertion, description] of cases) {
    const res = await requestToken(grant(clientAssertion, 'system/*.rs'));
    expect({ check, status: res.status, error: res.body.error }).toEqual({ check, status: 401, error: 'invalid_client' });
    expect(res.body.error_description).toMatch(description);
    for (const secret of [...secrets, clientAssertion, clientAssertion.split('.')[2]]) expect(res.body.error_description).not.toContain(secret);
  }
});
