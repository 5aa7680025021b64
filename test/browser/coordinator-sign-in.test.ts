/**
 * The coordinator app with AUTH=on, signed in through SMART App Launch (authorization code
 * with PKCE, through fhirclient) at a real OpenID provider running in this process: the
 * coordinator logs in on the provider's own pages, works the list with the token it issued,
 * and an account whose token lacks user/Task.u sees the list but is told it may not assign.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Task } from 'fhir/r4';
import type { Browser, Page } from 'playwright-core';
import { BASE_URL, startSecureServer, type SecureServer } from '../integration/security/security-helpers';
import { coordinator, create } from '../integration/workflows/fixtures';
import { artifactPath, axeContext, axeViolations, collectCspErrors, launchBrowser } from './browser-support';
import { seedWorklist, type SeededPatient } from './coordinator-fixtures';
import { startOidcIssuer, type OidcIssuer } from './oidc-issuer';

const CLIENT_ID = 'coordinator-app';
const READ_SCOPES = 'user/Patient.rs user/ServiceRequest.rs user/PlanDefinition.rs user/Questionnaire.rs user/QuestionnaireResponse.rs user/Task.rs';
const WRITE_SCOPES = `${READ_SCOPES.replace('user/Task.rs', 'user/Task.cruds')}`;

let issuer: OidcIssuer;
let secure: SecureServer;
let browser: Browser;
let dir: string;
let seeded: SeededPatient[];
let coordinatorId: string;

/** Signs in on the provider's login page; returns when the worklist shows. */
async function signIn(page: Page, login: string): Promise<void> {
  await page.goto(`${secure.server.origin}/coordinator/`);
  await page.locator('#sign-in').click();
  await page.waitForURL(`${issuer.issuer}/**`);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
  await page.waitForURL(`${secure.server.origin}/coordinator/**`).catch(async (error: unknown) => {
    await page.screenshot({ path: artifactPath(`sign-in-${login}-failed.png`) });
    throw error;
  });
  await page.locator('#worklist').waitFor({ timeout: 30_000 });
}

describe('the coordinator app signed in with SMART at an OpenID provider', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'coordinator-oidc-'));
    issuer = await startOidcIssuer();
    const jwksFile = path.join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(issuer.jwks));
    secure = await startSecureServer({
      AUTH_ISSUER: issuer.issuer,
      AUTH_JWKS_FILE: jwksFile,
      AUTH_AUTHORIZATION_ENDPOINT: `${issuer.issuer}/auth`,
      AUTH_TOKEN_ENDPOINT: `${issuer.issuer}/token`,
      COORDINATOR_CLIENT_ID: CLIENT_ID,
    });
    await issuer.serve({ audience: BASE_URL, clientId: CLIENT_ID, redirectUri: `${secure.server.origin}/coordinator/` });
    // The care team's set-up, with a token the provider's key signs.
    const admin = secure.as(await secure.token({ iss: issuer.issuer, scope: 'system/*.cruds' }, { key: issuer.key }));
    const asServer = { ...secure.server, fetch: admin };
    coordinatorId = (await create<{ id: string }>(asServer, coordinator('Okafor'))).id;
    seeded = await seedWorklist(asServer, 6);
    issuer.accounts.set('rn.okafor', { login: 'rn.okafor', name: 'RN Okafor', fhirUser: `Practitioner/${coordinatorId}`, scope: WRITE_SCOPES });
    issuer.accounts.set('reader', { login: 'reader', name: 'Read Only', fhirUser: undefined, scope: READ_SCOPES });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await secure?.close();
    await issuer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('without a session the app offers the sign-in, axe-clean and within its CSP', async () => {
    const context = await axeContext(browser);
    const page = await context.newPage();
    const cspErrors = collectCspErrors(page);
    await page.goto(`${secure.server.origin}/coordinator/`);
    await page.locator('#sign-in').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    expect(cspErrors).toEqual([]);
    await context.close();
  });

  test('a coordinator signs in on the provider\'s pages and assigns with the token it issued', async () => {
    const context = await axeContext(browser);
    const page = await context.newPage();
    const cspErrors = collectCspErrors(page);
    await signIn(page, 'rn.okafor');
    expect(await page.locator('#worklist tbody tr').count()).toBe(6);
    expect(await page.locator('#signed-in').innerText()).toBe('RN Okafor');
    expect(page.url()).not.toContain('code=');
    await page.screenshot({ path: artifactPath('coordinator-signed-in.png') });
    const target = seeded.find((s) => s.kind === 'not assigned')!;
    await page.click(`#worklist tr[data-order="${target.orderId}"] a`);
    await page.click('#assign');
    await page.getByText('Questionnaire assigned.').waitFor();
    const admin = secure.as(await secure.token({ iss: issuer.issuer, scope: 'system/*.rs' }, { key: issuer.key }));
    const tasks = (await admin(`/Task?based-on=ServiceRequest/${target.orderId}`)).body as { entry?: { resource: Task }[] };
    expect(tasks.entry?.map((e) => e.resource.requester?.reference)).toEqual([`Practitioner/${coordinatorId}`]);
    // The worklist in the order of need with the token (its tiers search Tasks with _has), and the patient's plan.
    await page.goto(`${secure.server.origin}/coordinator/#/`);
    await page.locator('#worklist').waitFor();
    const statuses = await page.locator('#worklist tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses[0]).toBe('overdue');
    await page.goto(`${secure.server.origin}/coordinator/#/order/${target.orderId}/plan`);
    await page.locator('#patient-plan .checklist__item').first().waitFor();
    expect(cspErrors).toEqual([]);
    await context.close();
  });

  test('a token without user/Task.u sees the list, and is told it may not assign', async () => {
    const context = await axeContext(browser);
    const page = await context.newPage();
    await signIn(page, 'reader');
    expect(await page.locator('#worklist tbody tr').count()).toBe(6);
    const target = seeded.filter((s) => s.kind === 'not assigned')[0];
    await page.click(`#worklist tr[data-order="${target.orderId}"] a`);
    await page.click('#assign');
    const message = page.locator('#status .message--error');
    await message.waitFor();
    expect(await message.innerText()).toContain('You are not allowed to do this with your sign-in (403)');
    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  test('an EHR launch sends the browser to the authorization endpoint with the launch, PKCE S256 and the FHIR base as audience', async () => {
    const context = await axeContext(browser);
    const page = await context.newPage();
    const authorize = new Promise<URL>((resolve) => {
      void page.route(`${issuer.issuer}/auth**`, async (route) => {
        resolve(new URL(route.request().url()));
        await route.fulfill({ status: 204 });
      });
    });
    const iss = `${secure.server.origin}/fhir`;
    await page.goto(`${secure.server.origin}/coordinator/launch?iss=${encodeURIComponent(iss)}&launch=ehr-context-1`);
    const url = await authorize;
    expect(url.searchParams.get('launch')).toBe('ehr-context-1');
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('aud')).toBe(iss);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('redirect_uri')).toBe(`${secure.server.origin}/coordinator/`);
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['launch', 'openid', 'fhirUser', 'user/Task.cruds', 'user/Patient.rs']));
    await context.close();
  });
});
