/**
 * Keys fetched over HTTP: an external authorization server's JWKS (AUTH_JWKS_URL) and a
 * Backend Services client registered with a JWK Set URL (the way SMART prefers).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { ClientRegistry } from '../../../src/auth/client-registry';
import { newKey, startSecureServer, type SecureServer } from './security-helpers';

let keyServer: Server;
let keyBase: string;
const published: Record<string, { keys: JWK[] }> = {};
let secure: SecureServer;

beforeAll(async () => {
  keyServer = createServer((req, res) => {
    const jwks = published[req.url ?? ''];
    res.writeHead(jwks ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks ?? {}));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyBase = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
  secure = await startSecureServer({ AUTH_JWKS_FILE: '', AUTH_JWKS_URL: `${keyBase}/issuer/jwks.json`, LOAD_CONTENT: 'false' });
  published['/issuer/jwks.json'] = { keys: [secure.issuerKey.publicJwk] };
});
afterAll(async () => {
  await secure.close();
  await new Promise((resolve) => keyServer.close(resolve));
});

test('tokens of an external server are verified against its JWKS URL', async () => {
  expect((await secure.as(await secure.token({ scope: 'system/*.rs' }))('/Task')).status).toBe(200);
  const stranger = await newKey('ES256', secure.issuerKey.kid);
  expect((await secure.as(await secure.token({ scope: 'system/*.rs' }, { key: stranger }))('/Task')).status).toBe(401);
});

test('a client registered with a JWK Set URL authenticates with a key published there', async () => {
  const key = await newKey('RS384');
  published['/client/jwks.json'] = { keys: [key.publicJwk] };
  await new ClientRegistry(secure.server.ctx.database).register({
    clientId: 'remote-keys',
    jwks: undefined,
    jwksUrl: `${keyBase}/client/jwks.json`,
    scope: 'system/*.rs',
    patient: undefined,
    fhirUser: undefined,
  });
  const assertion = (header: Record<string, string> = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .setIssuer('remote-keys')
      .setSubject('remote-keys')
      .setAudience('http://fhir.test/auth/token')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 120)
      .setJti(randomUUID())
      .sign(key.privateKey);
  const request = async (clientAssertion: string) => {
    const res = await fetch(`${secure.server.origin}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: clientAssertion,
        scope: 'system/Task.rs',
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const ok = await request(await assertion());
  expect(ok.status).toBe(200);
  expect((await secure.as(ok.body.access_token)('/Task')).status).toBe(200);
  // A jku header must be the registered URL (client-confidential-asymmetric, signature verification step 1).
  expect((await request(await assertion({ jku: `${keyBase}/elsewhere.json` }))).status).toBe(401);
  expect((await request(await assertion({ jku: `${keyBase}/client/jwks.json` }))).status).toBe(200);
});
