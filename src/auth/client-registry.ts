import type { Generated, Kysely } from 'kysely';
import type { JSONWebKeySet, JWK } from 'jose';
import type { DatabaseSchema } from '../store/schema';

/** The tables of sql/003_security.sql, as Kysely sees them. */
export type AuthTables = {
  auth_client: {
    client_id: string;
    jwks: string | null;
    jwks_url: string | null;
    scope: string;
    patient: string | null;
    fhir_user: string | null;
    enabled: Generated<boolean>;
    created_at: Generated<Date>;
    updated_at: Generated<Date>;
  };
  auth_used_jti: {
    client_id: string;
    jti: string;
    expires_at: Date;
  };
  auth_signing_key: {
    kid: string;
    alg: string;
    private_jwk: string;
    created_at: Generated<Date>;
  };
};

export type AuthDatabase = Kysely<DatabaseSchema & AuthTables>;

export function authDatabase(db: Kysely<DatabaseSchema>): AuthDatabase {
  return db.withTables<AuthTables>();
}

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

/** Registered clients and the client assertions already used, in Postgres. */
export class ClientRegistry {
  private readonly db: AuthDatabase;

  constructor(db: Kysely<DatabaseSchema>) {
    this.db = authDatabase(db);
  }

  /** Adds a client, or replaces the registration of an existing one. */
  async register(client: Omit<RegisteredClient, 'enabled'> & { enabled?: boolean }): Promise<void> {
    if (!/^[A-Za-z0-9\-._~]{1,128}$/.test(client.clientId)) throw new ClientRegistrationError('A client id is 1 to 128 of A-Z a-z 0-9 - . _ ~');
    if ((client.jwks === undefined) === (client.jwksUrl === undefined)) throw new ClientRegistrationError('Give either a JWK Set or a JWK Set URL');
    if (client.jwks !== undefined) checkClientJwks(client.jwks);
    if (client.jwksUrl !== undefined && !/^https?:\/\//.test(client.jwksUrl)) throw new ClientRegistrationError('The JWK Set URL must be http(s)');
    const row = {
      client_id: client.clientId,
      jwks: client.jwks !== undefined ? JSON.stringify(client.jwks) : null,
      jwks_url: client.jwksUrl ?? null,
      scope: client.scope,
      patient: client.patient ?? null,
      fhir_user: client.fhirUser ?? null,
      enabled: client.enabled ?? true,
    };
    await this.db
      .insertInto('auth_client')
      .values(row)
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ ...row, updated_at: new Date() }))
      .execute();
  }

  async find(clientId: string): Promise<RegisteredClient | undefined> {
    const row = await this.db.selectFrom('auth_client').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row ? toClient(row) : undefined;
  }

  async list(): Promise<RegisteredClient[]> {
    const rows = await this.db.selectFrom('auth_client').selectAll().orderBy('client_id').execute();
    return rows.map(toClient);
  }

  async remove(clientId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('auth_client').where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async setEnabled(clientId: string, enabled: boolean): Promise<boolean> {
    const result = await this.db.updateTable('auth_client').set({ enabled, updated_at: new Date() }).where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Records a client assertion's jti; false when it was already used (a replay). Rows are
   * kept until the assertion expires, then purged.
   */
  async useAssertion(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    await this.db.deleteFrom('auth_used_jti').where('expires_at', '<', new Date()).execute();
    const inserted = await this.db
      .insertInto('auth_used_jti')
      .values({ client_id: clientId, jti, expires_at: expiresAt })
      .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
      .returning('jti')
      .executeTakeFirst();
    return inserted !== undefined;
  }
}

function toClient(row: {
  client_id: string;
  jwks: string | null;
  jwks_url: string | null;
  scope: string;
  patient: string | null;
  fhir_user: string | null;
  enabled: boolean;
}): RegisteredClient {
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
