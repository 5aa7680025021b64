import { authBaseUrl, capabilitySecurity, smartConfiguration, tokenEndpoint } from '../../../src/auth/smart-configuration';
import { loadConfig } from '../../../src/config';

const config = (env: Record<string, string> = {}) => loadConfig({ BASE_URL: 'https://ehr.example/api/fhir', ...env });

describe('SMART configuration', () => {
  test('the built-in endpoints sit beside the FHIR base', () => {
    expect(authBaseUrl('https://ehr.example/api/fhir')).toBe('https://ehr.example/api/auth');
    expect(tokenEndpoint(config())).toBe('https://ehr.example/api/auth/token');
  });

  test('the built-in server: Backend Services with private_key_jwt, no authorization endpoint', () => {
    const document = smartConfiguration(config());
    expect(document).toMatchObject({
      token_endpoint: 'https://ehr.example/api/auth/token',
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      grant_types_supported: ['client_credentials'],
      jwks_uri: 'https://ehr.example/api/auth/jwks',
    });
    expect(document.capabilities).toEqual(expect.arrayContaining(['client-confidential-asymmetric', 'permission-v1', 'permission-v2']));
    expect(document.authorization_endpoint).toBeUndefined();
  });

  test('an external authorization server is published as configured', () => {
    const document = smartConfiguration(
      config({
        AUTH_BUILTIN_SERVER: 'off',
        AUTH_ISSUER: 'https://login.example',
        AUTH_JWKS_URL: 'https://login.example/jwks',
        AUTH_TOKEN_ENDPOINT: 'https://login.example/token',
        AUTH_AUTHORIZATION_ENDPOINT: 'https://login.example/authorize',
        AUTH_CAPABILITIES: 'launch-standalone,client-public,context-standalone-patient,sso-openid-connect',
      }),
    );
    expect(document).toMatchObject({
      issuer: 'https://login.example',
      jwks_uri: 'https://login.example/jwks',
      token_endpoint: 'https://login.example/token',
      authorization_endpoint: 'https://login.example/authorize',
      code_challenge_methods_supported: ['S256'],
    });
    expect(document.capabilities).toEqual(expect.arrayContaining(['launch-standalone', 'client-public', 'sso-openid-connect']));
    expect(document.capabilities).not.toContain('client-confidential-asymmetric');
    expect(document.token_endpoint_auth_methods_supported).toBeUndefined();
  });

  test('CapabilityStatement.rest.security: SMART-on-FHIR service and the oauth-uris extension', () => {
    const security = capabilitySecurity(config({ AUTH_AUTHORIZATION_ENDPOINT: 'https://login.example/authorize' }));
    expect(security.service?.[0].coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' });
    expect(security.extension?.[0]).toEqual({
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: [
        { url: 'token', valueUri: 'https://ehr.example/api/auth/token' },
        { url: 'authorize', valueUri: 'https://login.example/authorize' },
      ],
    });
  });

  test('settings that cannot work are refused at start-up', () => {
    expect(() => config({ AUTH_ISSUER: 'https://login.example' })).toThrow(/AUTH_JWKS_URL or AUTH_JWKS_FILE/);
    expect(() => config({ AUTH_JWKS_URL: 'https://login.example/jwks' })).toThrow(/AUTH_ISSUER/);
    expect(() => config({ AUTH_BUILTIN_SERVER: 'off' })).toThrow(/token issuer/);
    expect(() => config({ AUTH: 'off', AUTH_BUILTIN_SERVER: 'off' })).not.toThrow();
    expect(() => config({ AUTH_TOKEN_ENDPOINT: 'login.example/token' })).toThrow(/absolute http/);
  });
});
