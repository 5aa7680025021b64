/**
 * Tokens that must not be accepted: each answered 401 with `WWW-Authenticate: Bearer`
 * and an OperationOutcome, on a protected read and on a public one alike.
 */
import { createPublicKey } from 'node:crypto';
import { exportSPKI, SignJWT } from 'jose';
import { BASE_URL, EXTERNAL_ISSUER, newKey, startSecureServer, type SecureServer } from './security-helpers';
import { seed } from './seed';

let secure: SecureServer;

beforeAll(async () => {
  secure = await startSecureServer();
  await seed(secure);
});
afterAll(async () => {
  await secure.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const SCOPE = 'system/*.cruds';

async function expectRefused(token: string, reason: RegExp) {
  for (const path of ['/Task/task-a1', '/PlanDefinition/foraminotomy']) {
    const res = await secure.as(token)(path);
    expect({ path, status: res.status }).toEqual({ path, status: 401 });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="fhir", error="invalid_token"/);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('login');
    expect(res.body.issue[0].diagnostics).toMatch(reason);
  }
}

test('a valid token is accepted (the baseline of the attacks below)', async () => {
  expect((await secure.as(await secure.token({ scope: SCOPE }))('/Task/task-a1')).status).toBe(200);
});

test('expired', async () => {
  await expectRefused(await secure.token({ scope: SCOPE, exp: now() - 120 }), /expired/);
});

test('expired within the clock skew is still accepted', async () => {
  expect((await secure.as(await secure.token({ scope: SCOPE, exp: now() - 5 }))('/Task/task-a1')).status).toBe(200);
});

test('not yet valid (nbf in the future)', async () => {
  await expectRefused(await secure.token({ scope: SCOPE, nbf: now() + 3600 }), /not valid yet/);
});

test('wrong audience', async () => {
  await expectRefused(await secure.token({ scope: SCOPE, aud: 'https://other-server.test/fhir' }), /aud/);
});

test('wrong issuer, signed with the trusted key', async () => {
  await expectRefused(await secure.token({ scope: SCOPE, iss: 'https://evil.test' }), /iss/);
});

test('no exp', async () => {
  const key = secure.issuerKey;
  const token = await new SignJWT({ scope: SCOPE, client_id: 'c' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(EXTERNAL_ISSUER)
    .setAudience(BASE_URL)
    .sign(key.privateKey);
  await expectRefused(token, /not a valid signed JWT|exp/);
});

test('alg none', async () => {
  const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: EXTERNAL_ISSUER, aud: BASE_URL, exp: now() + 300, scope: SCOPE, client_id: 'c' })}.`;
  await expectRefused(token, /.+/);
});

test('signed with a key that is not in the issuer\'s JWKS (even under its kid)', async () => {
  const stranger = await newKey('ES256', secure.issuerKey.kid);
  await expectRefused(await secure.token({ scope: SCOPE }, { key: stranger }), /signature/);
});

test('HS256 signed with the issuer\'s public key as the secret (algorithm confusion)', async () => {
  const rsa = await newKey('RS256');
  const pem = await exportSPKI(createPublicKey({ key: rsa.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }));
  const ecPem = await exportSPKI(createPublicKey({ key: secure.issuerKey.publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' }));
  for (const secret of [pem, ecPem, JSON.stringify(secure.issuerKey.publicJwk)]) {
    const token = await new SignJWT({ scope: SCOPE, client_id: 'c' })
      .setProtectedHeader({ alg: 'HS256', kid: secure.issuerKey.kid })
      .setIssuer(EXTERNAL_ISSUER)
      .setAudience(BASE_URL)
      .setExpirationTime(now() + 300)
      .sign(new TextEncoder().encode(secret));
    await expectRefused(token, /algorithm/);
  }
});

test('a tampered payload (scope widened after signing)', async () => {
  const token = await secure.token({ scope: 'patient/*.rs', patient: 'pat-a' });
  const [header, , signature] = token.split('.');
  const forged = `${header}.${b64({ iss: EXTERNAL_ISSUER, aud: BASE_URL, exp: now() + 300, scope: SCOPE, client_id: 'test-client' })}.${signature}`;
  await expectRefused(forged, /signature/);
});

test('garbage and non-Bearer credentials', async () => {
  await expectRefused('not-a-jwt', /not a JWT/);
  for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b']) {
    const res = await secure.server.fetch('/Task/task-a1', { headers: { authorization: header } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  }
});

test('without a token, a protected resource is 401 with a plain Bearer challenge', async () => {
  const res = await secure.as(undefined)('/Task/task-a1');
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="fhir"');
  expect(res.body.resourceType).toBe('OperationOutcome');
});

test('a valid token without the scope is 403, not 401', async () => {
  const res = await secure.as(await secure.token({ scope: 'system/PlanDefinition.rs' }))('/Task/task-a1');
  expect(res.status).toBe(403);
  expect(res.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  expect(res.body.issue[0].code).toBe('forbidden');
});
