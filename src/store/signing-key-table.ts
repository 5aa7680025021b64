import type { Generated, Kysely } from 'kysely';
import type { Database } from './database';
import { databaseHandle } from './database-handle';
import type { DatabaseSchema } from './schema';

/** The signing-key table of sql/003_security.sql, as Kysely sees it. */
type SigningKeyTables = {
  auth_signing_key: {
    kid: string;
    alg: string;
    private_jwk: string;
    created_at: Generated<Date>;
  };
};

/** A row of auth_signing_key: a key pair the server generated, as a private JWK in JSON. */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
}

/** The server's own signing keys (auth_signing_key), shared by every instance on the database. */
export class SigningKeyTable {
  private readonly db: Kysely<DatabaseSchema & SigningKeyTables>;

  constructor(database: Database) {
    this.db = databaseHandle(database).withTables<SigningKeyTables>();
  }

  /** The oldest stored key (by creation, then kid), the one every instance signs with. */
  async oldest(): Promise<SigningKeyRow | undefined> {
    return await this.db.selectFrom('auth_signing_key').selectAll().orderBy('created_at').orderBy('kid').executeTakeFirst();
  }

  /** Stores a key; a key of the same kid already there is kept. */
  async insertIfAbsent(row: SigningKeyRow): Promise<void> {
    await this.db
      .insertInto('auth_signing_key')
      .values(row)
      .onConflict((oc) => oc.column('kid').doNothing())
      .execute();
  }
}
