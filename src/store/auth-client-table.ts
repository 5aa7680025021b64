import type { Generated, Kysely, Selectable } from 'kysely';
import type { Database } from './database';
import { databaseHandle } from './database-handle';
import type { DatabaseSchema } from './schema';

/** The client tables of sql/003_security.sql, as Kysely sees them. */
type AuthClientTables = {
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
};

/** A row of auth_client: a client of the built-in token endpoint (its JWK Set as JSON text). */
export type AuthClientRow = Omit<Selectable<AuthClientTables['auth_client']>, 'created_at' | 'updated_at'>;

/**
 * The registered clients of the built-in token endpoint (auth_client) and the client
 * assertions they already used (auth_used_jti). auth/client-registry.ts checks what is stored.
 */
export class AuthClientTable {
  private readonly db: Kysely<DatabaseSchema & AuthClientTables>;

  constructor(database: Database) {
    this.db = databaseHandle(database).withTables<AuthClientTables>();
  }

  /** Inserts the client, or replaces the row of the same client_id. */
  async upsert(row: AuthClientRow): Promise<void> {
    await this.db
      .insertInto('auth_client')
      .values(row)
      .onConflict((oc) => oc.column('client_id').doUpdateSet({ ...row, updated_at: new Date() }))
      .execute();
  }

  async find(clientId: string): Promise<AuthClientRow | undefined> {
    return await this.db.selectFrom('auth_client').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  }

  /** Every client, by client_id. */
  async list(): Promise<AuthClientRow[]> {
    return await this.db.selectFrom('auth_client').selectAll().orderBy('client_id').execute();
  }

  /** False when no such client was stored. */
  async remove(clientId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('auth_client').where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** False when no such client was stored. */
  async setEnabled(clientId: string, enabled: boolean): Promise<boolean> {
    const result = await this.db.updateTable('auth_client').set({ enabled, updated_at: new Date() }).where('client_id', '=', clientId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Records a client assertion's jti after purging the expired ones; false when the client had
   * already used it (the row was there).
   */
  async recordAssertion(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
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
