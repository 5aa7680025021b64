/**
 * CDS Hooks 2.0 "Trusting CDS Clients": a call is accepted only with a JWT signed by a
 * registered client's key, `aud` the exact endpoint URL, fresh `iat`, unexpired, with a `jti`
 * never seen before (on any instance). Every attack answers 401 with a JSON error.
 */
import { createPublicKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, SignJWT } from 'jose';
import { CdsHooksStore } from '../../../src/store/cds-hooks-store';
import { startTestServer } from '../../support/test-server';
import { EHR_ISSUER, hookRequest, newKey, ORIGIN, SELECT, serviceRequest, SIGN, startCdsServer, type CdsServer } from './cds-helpers';

let cds: CdsServer;
let keyServer: Server;
let keyServerUrl: string;
const published = new Map<string, unknown>();

beforeAll(async () => {
  cds = await startCdsServer();
  keyServer = createServer((req, res) => {
    const body = published.get(req.url ?? '');
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await cds.close();
  await new Promise((resolve) => keyServer.close(resolve));
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const body = () => hookRequest('order-select', [serviceRequest('sr-1', '63047')], ['ServiceRequest/sr-1']);

async function expectRefused(token: string | null, reason: RegExp, path = SELECT) {
  const res = await cds.call(path === '/cds-services' ? 'GET' : 'POST', path, path === '/cds-services' ? undefined : body(), token);
  expect({ status: res.status, error: res.body?.error }).toEqual({ status: 401, error: 'invalid_token' });
  expect(res.body.message).toMatch(reason);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
}

test('a valid ES384 JWT is accepted on discovery, a hook call and feedback (the baseline of the attacks)', async () => {
  expect((await cds.call('GET', '/cds-services')).status).toBe(200);
  const call = await cds.call('POST', SELECT, body());
  expect(call.status).toBe(200);
  const card = call.body.cards[0];
  const feedback = { feedback: [{ card: card.uuid, outcome: 'overridden', outcomeTimestamp: '2026-12-07T10:00:00Z' }] };
  // aud: the feedback endpoint called, or the service it belongs to.
  expect((await cds.call('POST', `${SELECT}/feedback`, feedback)).status).toBe(200);
  expect((await cds.call('POST', `${SELECT}/feedback`, feedback, await cds.jwt(SELECT))).status).toBe(200);
});

test('RS384, RS256 and ES256 keys are accepted too; aud may be an array holding the URL', async () => {
  for (const alg of ['RS384', 'RS256', 'ES256']) {
    const key = await newKey(alg);
    const issuer = `https://ehr-${alg.toLowerCase()}.test`;
    await cds.registerClient(issuer, key);
    const res = await cds.call('POST', SELECT, body(), await cds.jwt(SELECT, { iss: issuer }, { key }));
    expect({ alg, status: res.status }).toEqual({ alg, status: 200 });
  }
  expect((await cds.call('POST', SELECT, body(), await cds.jwt(SELECT, { aud: [`${ORIGIN}${SELECT}`, 'https://other.test'] }))).status).toBe(200);
});

test('no token, or not a JWT', async () => {
  await expectRefused(null, /Authorization: Bearer/);
  await expectRefused('not-a-jwt', /Authorization: Bearer/);
  await expectRefused('a.b.c', /not a JWT/);
});

test('alg none', async () => {
  const token = `${b64({ alg: 'none', typ: 'JWT', kid: cds.key.kid })}.${b64({ iss: EHR_ISSUER, aud: `${ORIGIN}${SELECT}`, exp: now() + 300, iat: now(), jti: 'none-1' })}.`;
  await expectRefused(token, /algorithm is not accepted/);
});

test('HS256 signed with the client\'s public key as the secret (algorithm confusion)', async () => {
  const rsa = await newKey('RS256');
  const issuer = 'https://ehr-confused.test';
  await cds.registerClient(issuer, rsa);
  const pem = await exportSPKI(createPublicKey({ key: rsa.publicJwk as never, format: 'jwk' }));
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid: rsa.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setAudience(`${ORIGIN}${SELECT}`)
    .setIssuedAt()
    .setExpirationTime(now() + 300)
    .setJti('hs-1')
    .sign(new TextEncoder().encode(pem));
  await expectRefused(token, /algorithm is not accepted/);
});

test('wrong aud: another service, discovery, another host, the FHIR base', async () => {
  await expectRefused(await cds.jwt(SELECT, { aud: `${ORIGIN}${SIGN}` }), /aud/);
  await expectRefused(await cds.jwt(SELECT, { aud: `${ORIGIN}/cds-services` }), /aud/);
  await expectRefused(await cds.jwt(SELECT, { aud: `https://evil.test${SELECT}` }), /aud/);
  await expectRefused(await cds.jwt(SELECT, { aud: `${ORIGIN}/fhir` }), /aud/);
  await expectRefused(await cds.jwt(SELECT), /aud/, '/cds-services');
});

test('expired, and issued too long ago', async () => {
  await expectRefused(await cds.jwt(SELECT, { iat: now() - 600, exp: now() - 120 }), /expired/);
  await expectRefused(await cds.jwt(SELECT, { iat: now() - 3600, exp: now() + 300 }), /iat/);
});

test('a replayed jti is refused, also by another server instance on the same database', async () => {
  const token = await cds.jwt(SELECT);
  expect((await cds.call('POST', SELECT, body(), token)).status).toBe(200);
  await expectRefused(token, /already used/);
  if (cds.server.databaseUrl === undefined) return; // PGlite: one process, one instance
  const second = await startTestServer({ databaseUrl: cds.server.databaseUrl, env: { AUTH: 'on', BASE_URL: `${ORIGIN}/fhir`, LOAD_CONTENT: 'false' } });
  try {
    const fresh = await cds.jwt(SELECT);
    const send = (server: typeof second | typeof cds.server) =>
      fetch(`${server.origin}${SELECT}`, { method: 'POST', headers: { authorization: `Bearer ${fresh}`, 'content-type': 'application/json' }, body: JSON.stringify(body()) });
    expect((await send(second)).status).toBe(200);
    expect((await send(cds.server)).status).toBe(401);
  } finally {
    await second.stop();
  }
});

test('an unknown iss, even with a key that verifies; a disabled client', async () => {
  await expectRefused(await cds.jwt(SELECT, { iss: 'https://stranger.test' }), /iss is not a trusted CDS client/);
  // Unsigned and with a NUL in iss: refused before any lookup, not a server error.
  await expectRefused(`${b64({ alg: 'ES384', typ: 'JWT', kid: 'k' })}.${b64({ iss: 'https://x.test\u0000', aud: `${ORIGIN}${SELECT}` })}.c2ln`, /iss is not a trusted CDS client/);
  const key = await newKey('ES384');
  await cds.registerClient('https://ehr-disabled.test', key);
  await new CdsHooksStore(cds.server.ctx.database).setClientEnabled('https://ehr-disabled.test', false);
  await expectRefused(await cds.jwt(SELECT, { iss: 'https://ehr-disabled.test' }, { key }), /iss is not a trusted CDS client/);
});

test('signed by a key the client did not register, under its kid', async () => {
  const stranger = await newKey('ES384');
  await expectRefused(await cds.jwt(SELECT, {}, { key: { ...stranger, kid: cds.key.kid } }), /signature/);
});

test('a jku off the client\'s allow-list is refused; one on it is used to fetch the keys', async () => {
  const key = await newKey('ES384');
  published.set('/allowed.json', { keys: [key.publicJwk] });
  published.set('/attacker.json', { keys: [key.publicJwk] });
  const issuer = 'https://ehr-jku.test';
  await cds.registerClient(issuer, await newKey('ES384'), [`${keyServerUrl}/allowed.json`]);
  await expectRefused(await cds.jwt(SELECT, { iss: issuer }, { key, header: { jku: `${keyServerUrl}/attacker.json` } }), /jku is not on the allow-list/);
  const ok = await cds.call('POST', SELECT, body(), await cds.jwt(SELECT, { iss: issuer }, { key, header: { jku: `${keyServerUrl}/allowed.json` } }));
  expect(ok.status).toBe(200);
});

test('a client publishing its keys at a URL, an ES256 key marked "use": "enc" (as the public CDS Hooks sandbox does)', async () => {
  const signing = await newKey('ES256');
  const key = { ...signing, publicJwk: { ...signing.publicJwk, use: 'enc' } };
  published.set('/sandbox.json', { keys: [key.publicJwk] });
  await cds.registerClient('https://sandbox.test', { jwksUrl: `${keyServerUrl}/sandbox.json` });
  const res = await cds.call('GET', '/cds-services', undefined, await cds.jwt('/cds-services', { iss: 'https://sandbox.test' }, { key }));
  expect(res.status).toBe(200);
});

test('a JWT without kid, iat or jti', async () => {
  const signer = cds.key;
  const base = () => new SignJWT({}).setIssuer(EHR_ISSUER).setAudience(`${ORIGIN}${SELECT}`).setExpirationTime(now() + 300);
  await expectRefused(await base().setProtectedHeader({ alg: signer.alg, typ: 'JWT' }).setIssuedAt().setJti('k-1').sign(signer.privateKey), /kid/);
  await expectRefused(await base().setProtectedHeader({ alg: signer.alg, kid: signer.kid }).setJti('k-2').sign(signer.privateKey), /iat/);
  await expectRefused(await base().setProtectedHeader({ alg: signer.alg, kid: signer.kid }).setIssuedAt().sign(signer.privateKey), /jti/);
});
