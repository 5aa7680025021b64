/**
 * The coordinator app's HTTP surface: the page shell with its settings and a CSP without
 * unsafe-inline, the script bundled from the TypeScript sources, the style sheet, and the
 * authorization server's token endpoint allowed for the sign-in when AUTH is on.
 */
import { startTestServer, type TestServer } from '../../support/test-server';
import { startSecureServer, type SecureServer } from '../security/security-helpers';

describe('the coordinator app over HTTP', () => {
  let server: TestServer;
  let secure: SecureServer;
  beforeAll(async () => {
    server = await startTestServer();
    secure = await startSecureServer({ AUTH_AUTHORIZATION_ENDPOINT: 'https://login.example.org/auth', AUTH_TOKEN_ENDPOINT: 'https://login.example.org/token', COORDINATOR_CLIENT_ID: 'worklist' });
  });
  afterAll(async () => {
    await server?.close();
    await secure?.close();
  });

  test('/coordinator redirects to /coordinator/, whose shell loads only our script and style sheet under a strict CSP', async () => {
    const redirect = await fetch(`${server.origin}/coordinator`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/coordinator/');
    const page = await fetch(`${server.origin}/coordinator/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('data-auth="off"');
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/coordinator/app.js" defer>']);
    expect(html).not.toMatch(/https?:\/\//);
  });

  test('the script is the bundle of the TypeScript app, and the style sheet is served', async () => {
    const script = await fetch(`${server.origin}/coordinator/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    const text = await script.text();
    expect(text).toContain('changed by someone else');
    expect(text).not.toMatch(/^\s*import /m);
    const css = await fetch(`${server.origin}/coordinator/coordinator.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
  });

  test('with AUTH on the shell names the client and its SMART scopes, and the CSP lets the sign-in reach the token endpoint', async () => {
    const page = await fetch(`${secure.server.origin}/coordinator/`);
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self' https://login.example.org;");
    const html = await page.text();
    expect(html).toContain('data-auth="on"');
    expect(html).toContain('data-client-id="worklist"');
    expect(html).toContain('user/Task.cruds');
    expect(html).not.toMatch(/user\/\*|system\//);
  });
});
