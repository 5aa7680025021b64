import express, { type Request, type Response } from 'express';
import type { ServerConfig } from '../../config';
import type { AppExtensions } from '../../http/app';
import type { ServerContext } from '../../services/server-context';
import { contentSecurityPolicy, escapeHtml } from '../patient/layout';
import { appBundle, styleSheet } from './bundle';

/** Where the app lives on our origin. */
export const COORDINATOR_PATH = '/coordinator';

/**
 * The SMART scopes the app asks for: what its screens read and the Tasks it writes, nothing
 * broader (`openid fhirUser` name the signed-in coordinator).
 */
export const COORDINATOR_SCOPES = [
  'openid',
  'fhirUser',
  'user/Patient.rs',
  'user/ServiceRequest.rs',
  'user/PlanDefinition.rs',
  'user/Questionnaire.rs',
  'user/QuestionnaireResponse.rs',
  'user/Task.cruds',
].join(' ');

/** The app's settings, given to its script in data attributes (no inline script under the CSP). */
export interface CoordinatorSettings {
  fhirBase: string;
  auth: boolean;
  clientId: string;
  scope: string;
}

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The pages' CSP, with the token endpoint of the authorization server allowed for the sign-in's token request. */
export function coordinatorPolicy(config: ServerConfig): string {
  const token = originOf(config.authTokenEndpoint);
  return contentSecurityPolicy().replace("connect-src 'self'", token === undefined ? "connect-src 'self'" : `connect-src 'self' ${token}`);
}

function shell(settings: CoordinatorSettings): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Pre-op worklist – Care coordination</title>
<link rel="stylesheet" href="${COORDINATOR_PATH}/coordinator.css">
<script src="${COORDINATOR_PATH}/app.js" defer></script>
</head>
<body data-fhir-base="${escapeHtml(settings.fhirBase)}" data-auth="${settings.auth ? 'on' : 'off'}" data-client-id="${escapeHtml(settings.clientId)}" data-scope="${escapeHtml(settings.scope)}">
<a class="skip-link" href="#main-content">Skip to main content</a>
<header class="site-header"><div class="width-container"><a class="site-header__name" href="${COORDINATOR_PATH}/">Pre-op worklist</a><span id="signed-in" class="site-header__user"></span></div></header>
<div class="width-container">
<main id="main-content" tabindex="-1">
<h1 id="page-title">Pre-op worklist</h1>
<div id="status" role="status" aria-live="polite"></div>
<div id="app"><noscript><p>This app needs JavaScript.</p></noscript></div>
</main>
</div>
</body>
</html>
`;
}

/**
 * The care coordinators' worklist app at /coordinator/: a page shell, its stylesheet and its
 * script (TypeScript in ./app, bundled with esbuild). The app talks only to the FHIR API.
 */
export function coordinatorApp(ctx: ServerContext): AppExtensions {
  const bundle = appBundle();
  const router = express.Router({ strict: true });
  const settings = (): CoordinatorSettings => ({
    fhirBase: '/fhir',
    auth: ctx.config.auth === 'on',
    clientId: ctx.config.coordinatorClientId,
    scope: COORDINATOR_SCOPES,
  });
  const sendShell = (_req: Request, res: Response) => {
    res.status(200).setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', coordinatorPolicy(ctx.config));
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.send(shell(settings()));
  };
  router.get(COORDINATOR_PATH, (_req, res) => res.redirect(301, `${COORDINATOR_PATH}/`));
  router.get(`${COORDINATOR_PATH}/`, sendShell);
  // SMART EHR launch: the EHR opens this with ?iss=...&launch=...; the script continues the launch.
  router.get(`${COORDINATOR_PATH}/launch`, sendShell);
  router.get(`${COORDINATOR_PATH}/app.js`, async (_req, res) => {
    try {
      const script = await bundle();
      res.status(200).setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      res.send(script);
    } catch (error) {
      ctx.logger.error({ err: error }, 'coordinator app bundle failed');
      res.status(500).type('text/plain').send('The coordinator app could not be built.');
    }
  });
  router.get(`${COORDINATOR_PATH}/coordinator.css`, (_req, res) => {
    res.sendFile(styleSheet(), { maxAge: '1h' });
  });
  return { routes: [router] };
}
