import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import { newKey, type IssuerKey } from '../integration/security/security-helpers';

/** oidc-provider is an ES module; the tests are CommonJS. */
const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: ProviderClass }>;

interface GrantLike {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface ProviderLike {
  callback(): (req: unknown, res: unknown) => void;
  Grant: new (options: { clientId: string; accountId: string }) => GrantLike;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderLike;

interface InteractionContext {
  oidc: {
    client: { clientId: string };
    session: { accountId?: string; grantIdFor(clientId: string): string | undefined };
    entities?: { AuthorizationCode?: { accountId?: string } };
    result?: { consent?: { grantId?: string } };
    provider: ProviderLike & {
      Grant: ProviderLike['Grant'] & { find(id: string): Promise<GrantLike | undefined> };
    };
  };
}

export interface Account {
  /** The login typed on the issuer's page. */
  login: string;
  name: string;
  fhirUser: string | undefined;
  /** The SMART scopes this account's tokens carry. */
  scope: string;
}

export interface OidcIssuer {
  issuer: string;
  /** Starts the provider for one public client (the FHIR server's origin is known only after the issuer's). */
  serve(options: { audience: string; clientId: string; redirectUri: string }): Promise<void>;
  key: IssuerKey;
  /** The issuer's public keys (what the FHIR server trusts, as AUTH_JWKS_FILE). */
  jwks: { keys: unknown[] };
  accounts: Map<string, Account>;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider) on an ephemeral port: a public client with PKCE, its
 * own login pages (any password), and JWT access tokens for the FHIR base `audience` that
 * carry the scopes of the account that signed in.
 */
export async function startOidcIssuer(): Promise<OidcIssuer> {
  const key = await newKey('RS256');
  const privateJwk = { ...(await exportJWK(key.privateKey)), kid: key.kid, alg: key.alg, use: 'sig' };
  const accounts = new Map<string, Account>();
  let handler: ((req: unknown, res: unknown) => void) | undefined;
  const server: Server = createServer((req, res) => (handler ? handler(req, res) : res.end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const serve = async (options: { audience: string; clientId: string; redirectUri: string }) => {
    const { default: Provider } = await importModule('oidc-provider');
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: options.clientId,
          token_endpoint_auth_method: 'none',
          redirect_uris: [options.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: [privateJwk] },
      scopes: ['openid', 'fhirUser'],
      claims: { openid: ['sub'], fhirUser: ['fhirUser', 'name'] },
      findAccount: (_ctx: unknown, id: string) => {
        const account = accounts.get(id);
        return {
          accountId: id,
          claims: () => ({
            sub: id,
            name: account?.name ?? id,
            ...(account?.fhirUser ? { fhirUser: account.fhirUser } : {}),
          }),
        };
      },
      // The account's scopes are granted at sign-in (the organisation decides, not a consent page).
      loadExistingGrant: async (ctx: InteractionContext) => {
        const existing =
          ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (existing) return ctx.oidc.provider.Grant.find(existing);
        const accountId = ctx.oidc.session.accountId;
        if (accountId === undefined) return undefined;
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
        grant.addOIDCScope('openid fhirUser');
        grant.addResourceScope(options.audience, accounts.get(accountId)?.scope ?? '');
        await grant.save();
        return grant;
      },
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => options.audience,
          useGrantedResource: () => true,
          // The SMART scopes of the account signing in (at the authorization endpoint) or of the code's account (at the token endpoint).
          getResourceServerInfo: (ctx: InteractionContext) => ({
            scope: accounts.get(ctx.oidc.session?.accountId ?? ctx.oidc.entities?.AuthorizationCode?.accountId ?? '')?.scope ?? '',
            audience: options.audience,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      clientBasedCORS: () => true,
      pkce: { required: () => true },
    });
    handler = provider.callback();
  };
  return {
    issuer,
    serve,
    key,
    jwks: { keys: [key.publicJwk] },
    accounts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
