/**
 * Hardening around the API: per-client rate limit, body limit before and after
 * authentication, CORS allow-list, security headers, and no token in the logs.
 */
import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import pino from 'pino';
import { loadConfig } from '../../../src/config';
import { startServer } from '../../../src/app/server';
import { ClientRegistry } from '../../../src/auth/client-registry';
import { startTestServer } from '../../support/test-server';
import { json, newKey, startSecureServer, type SecureServer } from './security-helpers';

describe('rate limit, body limit, CORS, headers', () => {
  let secure: SecureServer;
  beforeAll(async () => {
    secure = await startSecureServer({ RATE_LIMIT_PER_MINUTE: '3', MAX_BODY_BYTES: '2048', CORS_ORIGINS: 'https://app.example', LOAD_CONTENT: 'false' });
  });
  afterAll(async () => {
    await secure.close();
  });

  test('each client has its own bucket; past it, 429 with Retry-After and an OperationOutcome', async () => {
    const first = secure.as(await secure.token({ scope: 'system/*.rs', client_id: 'busy-client' }));
    for (let i = 0; i < 3; i++) expect((await first('/Task')).status).toBe(200);
    const limited = await first('/Task');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] });
    // Another client is not slowed down by the first.
    const second = secure.as(await secure.token({ scope: 'system/*.rs', client_id: 'quiet-client' }));
    expect((await second('/Task')).status).toBe(200);
  });

  test('a body over MAX_BODY_BYTES is 413 for an authenticated client, and never read for an anonymous one', async () => {
    const big = json('POST', { resourceType: 'Task', status: 'draft', intent: 'order', note: [{ text: 'x'.repeat(10_000) }] });
    const client = secure.as(await secure.token({ scope: 'system/*.cruds', client_id: 'big-body' }));
    const tooLarge = await client('/Task', big);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.resourceType).toBe('OperationOutcome');
    expect((await secure.as(undefined)('/Task', big)).status).toBe(401);
  });

  test('CORS answers the allowed origin only, and exposes the auth headers to it', async () => {
    const allowed = await fetch(`${secure.server.base}/metadata`, { headers: { origin: 'https://app.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
    const preflight = await fetch(`${secure.server.base}/Task`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    const other = await fetch(`${secure.server.base}/metadata`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('security headers are set and the server does not announce itself', async () => {
    const res = await fetch(`${secure.server.base}/metadata`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age/);
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});

describe('AUTH=off', () => {
  test('turns it all off: no token needed, no SMART security in the CapabilityStatement', async () => {
    const server = await startTestServer({ env: { AUTH: 'off' } });
    try {
      expect((await server.fetch('/Task', json('POST', { resourceType: 'Task', status: 'requested', intent: 'order' }))).status).toBe(201);
      expect((await server.fetch('/Task')).status).toBe(200);
      expect((await server.fetch('/metadata')).body.rest[0].security).toBeUndefined();
      expect((await fetch(`${server.origin}/.well-known/smart-configuration`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('logs', () => {
  test('neither access tokens nor client assertions appear in the logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH: 'on',
      BASE_URL: 'http://fhir.test/fhir',
      LOAD_CONTENT: 'false',
      PGLITE_DIR: 'memory://',
      LOG_LEVEL: 'trace',
    });
    const running = await startServer(config, pino({ level: 'trace' }, sink));
    try {
      const key = await newKey('ES384');
      await new ClientRegistry(running.ctx.database).register({ clientId: 'logged', jwks: { keys: [key.publicJwk] }, jwksUrl: undefined, scope: 'system/*.rs', patient: undefined, fhirUser: undefined });
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuer('logged')
        .setSubject('logged')
        .setAudience('http://fhir.test/auth/token')
        .setExpirationTime(Math.floor(Date.now() / 1000) + 120)
        .setJti(randomUUID())
        .sign(key.privateKey);
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
        scope: 'system/*.rs',
      });
      const tokenResponse = await fetch(`${running.origin}/auth/token`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
      expect(typeof token).toBe('string');
      await fetch(`${running.origin}/fhir/Task`, { headers: { authorization: `Bearer ${token}` } });
      await fetch(`${running.origin}/fhir/Task?access_token=${token}`);
      await fetch(`${running.origin}/fhir/Task`, { headers: { authorization: `Bearer ${token}x` } });
      // A replayed assertion: refused and logged, without the assertion.
      await fetch(`${running.origin}/auth/token`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      await new Promise((r) => setTimeout(r, 100));
      const log = lines.join('');
      expect(log).toContain('access token issued');
      expect(log).toContain('token request refused');
      const signature = (jwt: string) => jwt.split('.')[2];
      expect(log).not.toContain(signature(token));
      expect(log).not.toContain(signature(assertion));
    } finally {
      await running.close();
    }
  });
});
