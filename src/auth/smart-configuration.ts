import type { CapabilityStatementRestSecurity, Extension } from 'fhir/r4';
import type { ServerConfig } from '../config';
import { ALLOWED_ALGORITHMS } from './signing-keys';

/**
 * The built-in authorization endpoints sit beside the FHIR base: `.../fhir` -> `.../auth`.
 * Behind a proxy that maps a prefix onto this server, the same prefix holds both.
 */
export function authBaseUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/[^/]*$/, '')}/auth`;
}

/** Where tokens are obtained: the external server's endpoint when configured, else the built-in one. */
export function tokenEndpoint(config: ServerConfig): string | undefined {
  if (config.authTokenEndpoint !== undefined) return config.authTokenEndpoint;
  return config.authBuiltinServer ? `${authBaseUrl(config.baseUrl)}/token` : undefined;
}

const SCOPES_SUPPORTED = ['system/*.cruds', 'system/*.rs', 'user/*.cruds', 'user/*.rs', 'patient/*.cruds', 'patient/*.rs', 'system/AuditEvent.rs'];

/**
 * `.well-known/smart-configuration` (SMART App Launch 2, conformance.html): only what this
 * deployment really offers. The built-in server does SMART Backend Services (client
 * credentials with private_key_jwt); an external server's endpoints and capabilities come
 * from the AUTH_* settings.
 */
export function smartConfiguration(config: ServerConfig): Record<string, unknown> {
  const builtinTokens = config.authBuiltinServer && config.authTokenEndpoint === undefined;
  const capabilities = new Set(['permission-v1', 'permission-v2', 'permission-patient', 'permission-user', ...config.authCapabilities]);
  if (builtinTokens) capabilities.add('client-confidential-asymmetric');
  const document: Record<string, unknown> = {};
  // The external server's OpenID Connect identity, when it offers single sign-on.
  if (config.authIssuer !== undefined && capabilities.has('sso-openid-connect')) document.issuer = config.authIssuer;
  if (config.authIssuer !== undefined && config.authJwksUrl !== undefined && !builtinTokens) document.jwks_uri = config.authJwksUrl;
  if (config.authAuthorizationEndpoint !== undefined) {
    document.authorization_endpoint = config.authAuthorizationEndpoint;
    // SMART 2 requires PKCE S256 of every authorization server that has an authorization endpoint.
    document.code_challenge_methods_supported = ['S256'];
  }
  const token = tokenEndpoint(config);
  if (token !== undefined) document.token_endpoint = token;
  if (builtinTokens) {
    document.token_endpoint_auth_methods_supported = ['private_key_jwt'];
    document.token_endpoint_auth_signing_alg_values_supported = ALLOWED_ALGORITHMS;
    document.grant_types_supported = ['client_credentials'];
    document.jwks_uri = `${authBaseUrl(config.baseUrl)}/jwks`;
  }
  document.scopes_supported = SCOPES_SUPPORTED;
  document.capabilities = [...capabilities];
  return document;
}

/**
 * CapabilityStatement.rest.security: service SMART-on-FHIR and the oauth-uris extension
 * with the token endpoint (and authorize, when an external server offers one).
 */
export function capabilitySecurity(config: ServerConfig): CapabilityStatementRestSecurity {
  const uris: Extension[] = [];
  const token = tokenEndpoint(config);
  if (token !== undefined) uris.push({ url: 'token', valueUri: token });
  if (config.authAuthorizationEndpoint !== undefined) uris.push({ url: 'authorize', valueUri: config.authAuthorizationEndpoint });
  return {
    cors: config.corsOrigins.length > 0,
    service: [
      {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }],
        text: 'OAuth2 bearer tokens with SMART on FHIR scopes (see /.well-known/smart-configuration)',
      },
    ],
    extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: uris }],
    description:
      'Reading and searching the education library and conformance resources needs no token; everything else needs a bearer token ' +
      'with SMART v2 scopes (v1 .read/.write accepted). patient/ scopes are confined to the Patient compartment of the token\'s patient.',
  };
}
