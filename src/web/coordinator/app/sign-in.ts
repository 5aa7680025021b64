import FHIR from 'fhirclient';
import type { Reference } from 'fhir/r4';
import { h, replaceChildren } from './dom';
import { FhirApi } from './fhir';
import { grantsTaskSearch } from './granted-scopes';

export interface Session {
  api: FhirApi;
  /** Who the coordinator is, for the assignments' requester. */
  user: Reference;
  /** Whether the granted scopes search Tasks (the worklist's need-first tiers filter on them). */
  searchesTasks: boolean;
}

interface Settings {
  fhirBase: string;
  auth: boolean;
  clientId: string;
  scope: string;
}

function settings(): Settings {
  const data = document.body.dataset;
  return { fhirBase: data.fhirBase ?? '/fhir', auth: data.auth !== 'off', clientId: data.clientId ?? '', scope: data.scope ?? '' };
}

const APP_PATH = '/coordinator/';

/** The FHIR base as the authorization server knows it: absolute, on our origin. */
function issuer(s: Settings): string {
  return new URL(s.fhirBase, location.origin).href;
}

function signInPage(s: Settings, problem?: string): void {
  const button = h('button', { type: 'button', class: 'button', id: 'sign-in' }, 'Sign in');
  button.addEventListener('click', () => {
    void FHIR.oauth2.authorize({ clientId: s.clientId, scope: s.scope, iss: issuer(s), redirectUri: APP_PATH, pkceMode: 'required' });
  });
  const app = document.getElementById('app');
  if (app !== null) replaceChildren(app, problem !== undefined ? h('p', { class: 'message message--error', role: 'alert' }, problem) : undefined, h('p', {}, 'Sign in with your organisation account to see the worklist.'), button);
}

/**
 * The session: with AUTH=off the FHIR API without a token; otherwise SMART App Launch 2.0
 * through fhirclient (authorization code with PKCE): an EHR launch (`launch` and `iss` in the
 * URL of /coordinator/launch), the return from the authorization server, or a standalone
 * launch from the Sign in button. Resolves undefined while the browser goes to sign in.
 */
export async function startSession(): Promise<Session | undefined> {
  const s = settings();
  if (!s.auth) return { api: new FhirApi(s.fhirBase, () => Promise.resolve(undefined)), user: { display: 'Care coordinator (no sign-in)' }, searchesTasks: true };
  const query = new URLSearchParams(location.search);
  if (location.pathname.endsWith('/launch') && query.has('launch')) {
    await FHIR.oauth2.authorize({ clientId: s.clientId, scope: `launch ${s.scope}`, redirectUri: APP_PATH, pkceMode: 'required' });
    return undefined;
  }
  try {
    const client = await FHIR.oauth2.ready();
    // The code and state have done their work: keep them out of the address bar and history.
    if (query.has('code')) history.replaceState(null, '', `${APP_PATH}${location.hash}`);
    const fhirUser = client.getFhirUser();
    const idToken = client.getIdToken();
    const name = typeof idToken?.name === 'string' ? idToken.name : typeof idToken?.sub === 'string' ? idToken.sub : 'Signed in';
    const signedIn = document.getElementById('signed-in');
    if (signedIn !== null) signedIn.textContent = name;
    const api = new FhirApi(s.fhirBase, async () => {
      if (client.state.expiresAt !== undefined && client.state.expiresAt * 1000 < Date.now() + 10_000) await client.refresh();
      return client.state.tokenResponse?.access_token;
    });
    const granted = client.state.tokenResponse?.scope;
    return { api, user: fhirUser !== null ? { reference: fhirUser, display: name } : { display: name }, searchesTasks: grantsTaskSearch(typeof granted === 'string' ? granted : undefined) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // No session yet (a first visit) is not a problem to report; an error from the server is.
    signInPage(s, query.has('code') || query.has('error') ? `Sign-in did not succeed: ${query.get('error_description') ?? message}` : undefined);
    return undefined;
  }
}
