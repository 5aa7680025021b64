import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import type { StatementNames } from './prepared-statements';

/** A pooled connection as pg hands it out: what the driver needs of it. */
export interface StatementClient {
  query(config: pg.QueryConfig, callback: (error: Error | null, result: pg.QueryResult) => void): void;
  release(destroy?: boolean): void;
}

/** Where the driver takes its connections: a pg.Pool, or the read router's pool of routed connections. */
export interface StatementPool {
  connect(): Promise<StatementClient>;
  end(): Promise<void>;
}

/**
 * Runs one statement on a pg connection, passing pg a callback and making the promise here.
 * Under pg 8.23's own promise (`query()` without a callback) every result outlived the next
 * young-generation collection: a procedure search at one connection promoted 4-5 MB per
 * scavenge and forced a full mark-compact about once a second, pausing the server for 3-8 ms
 * each time. With a callback nothing is promoted (docs/decisions/prepared-statements.md).
 */
export function runStatement(client: Pick<StatementClient, 'query'>, config: pg.QueryConfig): Promise<pg.QueryResult> {
  return new Promise((resolve, reject) => {
    client.query(config, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/**
 * Kysely's dialect for PostgreSQL through pg, sending each preparable statement as a named
 * prepared statement (`names`; without it every statement goes unnamed, as behind a pooler in
 * transaction mode that cannot keep them). PostgreSQL parses a named statement once per
 * connection and, after five custom plans, may keep a generic one, so a repeated statement skips
 * the planner (docs/decisions/prepared-statements.md). Statements led by CUSTOM_PLAN_MARK go
 * unnamed (StatementNames decides).
 */
export class NamedStatementDialect implements Dialect {
  constructor(
    private readonly pool: StatementPool,
    private readonly names: StatementNames | undefined,
  ) {}

  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new NamedStatementDriver(this.pool, this.names);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class NamedStatementConnection implements DatabaseConnection {
  /** Set when a rollback failed: the connection is dropped instead of going back to the pool. */
  discarded = false;

  constructor(
    readonly client: StatementClient,
    private readonly names: StatementNames | undefined,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.discarded) throw new Error('The PostgreSQL connection has been discarded');
    const text = compiledQuery.sql;
    const values = [...compiledQuery.parameters];
    const name = this.names?.nameFor(text);
    const { command, rowCount, rows } = await runStatement(this.client, name !== undefined ? { name, text, values } : { text, values });
    if (command === 'ROLLBACK' || command === 'COMMIT') return { rows: [{ command }] as R[] };
    return {
      numAffectedRows: command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE' ? BigInt(rowCount ?? 0) : undefined,
      rows: (rows ?? []) as R[],
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not used by this server');
  }
}

class NamedStatementDriver implements Driver {
  private open = true;

  constructor(
    private readonly pool: StatementPool,
    private readonly names: StatementNames | undefined,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const client = await this.pool.connect();
    if (!this.open) {
      client.release();
      throw new Error('The database has been closed');
    }
    return new NamedStatementConnection(client, this.names);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let text = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      text = 'start transaction';
      if (settings.isolationLevel) text += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) text += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(text));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // PostgreSQL completes COMMIT with a ROLLBACK tag when an earlier error left the transaction aborted.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      (connection as NamedStatementConnection).discarded = true;
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const named = connection as NamedStatementConnection;
    named.client.release(named.discarded);
  }

  async destroy(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.pool.end();
  }
}
