import type { JSONWebKeySet, JWK } from 'jose';
import { AuthClientTable, type AuthClientRow } from '../store/auth-client-table';
import type { Database } from '../store/database';

/** A client of the built-in token endpoint (SMART Backend Services). */
export interface RegisteredClient {
  clientId: string;
  /** Public keys given at registration, or... */
  jwks: JSONWebKeySet | undefined;
  /** ...the URL where the client publishes them (preferred by SMART: the client can rotate keys). */
  jwksUrl: string | undefined;
  /** The most its tokens may grant (space-separated SMART scopes). */
  scope: string;
  /** Fixed launch context of its tokens: the `patient` that patient/ scopes reach, the `fhirUser`. */
  patient: string | undefined;
  fhirUser: string | undefined;
  enabled: boolean;
}

export class ClientRegistrationError extends Error {}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/**
 * Checks a client's JWK Set as SMART asks (client-confidential-asymmetric): asymmetric keys
 * with `kty` and `kid`, bare key values, no private parts (they must never reach us).
 */
export function checkClientJwks(value: unknown): JSONWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ClientRegistrationError('A JWK Set needs a non-empty "keys" array');
  const kids = new Set<string>();
  for (const key of keys as JWK[]) {
    if (typeof key !== 'object' || key === null) throw new ClientRegistrationError('Every key of the JWK Set must be an object');
    if (key.kty !== 'RSA' && key.kty !== 'EC') throw new ClientRegistrationError(`Key kty "${String(key.kty)}": only RSA and EC public keys are accepted`);
    if (typeof key.kid !== 'string' || key.kid === '') throw new ClientRegistrationError('Every key needs a "kid"');
    if (kids.has(key.kid)) throw new ClientRegistrationError(`kid "${key.kid}" appears twice; it must be unique within the set`);
    kids.add(key.kid);
    const secret = PRIVATE_MEMBERS.filter((m) => m in key);
    if (secret.length > 0) throw new ClientRegistrationError(`Key "${key.kid}" holds private members (${secret.join(', ')}): register the public key only`);
    if (key.kty === 'RSA' && (typeof key.n !== 'string' || typeof key.e !== 'string')) throw new ClientRegistrationError(`RSA key "${key.kid}" needs n and e`);
    if (key.kty === 'EC' && (typeof key.crv !== 'string' || typeof key.x !== 'string' || typeof key.y !== 'string')) {
      throw new ClientRegistrationError(`EC key "${key.kid}" needs crv, x and y`);
    }
  }
  return { keys: keys as JWK[] };
}

/** Registered clients and the client assertions already used, in Postgres (store/auth-client-table.ts). */
export class ClientRegistry {
  private readonly table: AuthClientTable;

  constructor(database: Database) {
    this.table = new AuthClientTable(database);
  }

  /** Adds a client, or replaces the registration of an existing one. */
  async register(client: Omit<RegisteredClient, 'enabled'> & { enabled?: boolean }): Promise<void> {
    if (!/^[A-Za-z0-9\-._~]{1,128}$/.test(client.clientId)) throw new ClientRegistrationError('A client id is 1 to 128 of A-Z a-z 0-9 - . _ ~');
    if ((client.jwks === undefined) === (client.jwksUrl === undefined)) throw new ClientRegistrationError('Give either a JWK Set or a JWK Set URL');
    if (client.jwks !== undefined) checkClientJwks(client.jwks);
    if (client.jwksUrl !== undefined && !/^https?:\/\//.test(client.jwksUrl)) throw new ClientRegistrationError('The JWK Set URL must be http(s)');
    await this.table.upsert({
      client_id: client.clientId,
      jwks: client.jwks !== undefined ? JSON.stringify(client.jwks) : null,
      jwks_url: client.jwksUrl ?? null,
      scope: client.scope,
      patient: client.patient ?? null,
      fhir_user: client.fhirUser ?? null,
      enabled: client.enabled ?? true,
    });
  }

  async find(clientId: string): Promise<RegisteredClient | undefined> {
    const row = await this.table.find(clientId);
    return row ? toClient(row) : undefined;
  }

  async list(): Promise<RegisteredClient[]> {
    return (await this.table.list()).map(toClient);
  }

  async remove(clientId: string): Promise<boolean> {
    return this.table.remove(clientId);
  }

  async setEnabled(clientId: string, enabled: boolean): Promise<boolean> {
    return this.table.setEnabled(clientId, enabled);
  }

  /**
   * Records a client assertion's jti; false when it was already used (a replay). Rows are
   * kept until the assertion expires, then purged.
   */
  async useAssertion(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    return this.table.recordAssertion(clientId, jti, expiresAt);
  }
}

function toClient(row: AuthClientRow): RegisteredClient {
  return {
    clientId: row.client_id,
    jwks: row.jwks !== null ? (JSON.parse(row.jwks) as JSONWebKeySet) : undefined,
    jwksUrl: row.jwks_url ?? undefined,
    scope: row.scope,
    patient: row.patient ?? undefined,
    fhirUser: row.fhir_user ?? undefined,
    enabled: row.enabled,
  };
}
