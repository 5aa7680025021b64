import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseSchema } from './schema';
import { PGliteDialect } from './pglite-dialect';
import { AnalyzeScheduler } from './analyze-scheduler';
import { StatementNames } from './prepared-statements';
import { NamedStatementDialect } from './named-statement-dialect';
import { lockDataDirectory } from './pglite-lock';
import { createPGliteDirectory, isPGliteDirectory } from './pglite-create';
import { ReadRouter, type RequestRouting } from './read-routing';
import { withDatabaseHandle } from './database-handle';

/** Distinct SQL texts the pool prepares by name (see StatementNames). */
const PREPARED_STATEMENT_LIMIT = 500;

/** 20 = int8, 1700 = numeric: kept as strings on both engines so no precision is lost. */
const KEEP_AS_TEXT = (value: string): string => value;

/**
 * An open database. Its query handle stays inside src/store/ (database-handle.ts): the store's
 * modules take the Database and run their SQL on it.
 */
export interface Database {
  readonly engine: 'postgres' | 'pglite';
  /** Round trip to the database; throws when it is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** With read replicas: routes read-only statements of read requests to them (store/read-routing.ts). */
  readRouter?: RequestRouting;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  pgliteDir: string;
  /** shared_buffers of a PGlite data directory, in MB; 0 or absent keeps PGlite's own (128 MB). */
  pgliteSharedBuffersMb?: number;
  poolSize: number;
  /** Statement timeout for every query of the pool, in milliseconds (searches that run away). */
  statementTimeoutMs?: number;
  /** Called when an idle pooled connection fails (the pool replaces it by itself). */
  onPoolError?: (error: Error) => void;
  /** postgres:// URLs of streaming read replicas of databaseUrl. */
  replicaUrls?: string[];
  /** A replica further behind than this is skipped, in milliseconds. */
  replicaMaxLagMs?: number;
  /** Replica health and lag check interval, in milliseconds. */
  replicaCheckIntervalMs?: number;
  /** Named (server-side) prepared statements; off behind a pooler in transaction mode that cannot keep them. */
  preparedStatements?: boolean;
  onReplicaState?: (name: string, state: 'up' | 'down' | 'lagging') => void;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) return await openPostgres(options.databaseUrl, options);
  return openPGlite(options.pgliteDir, options.statementTimeoutMs, options.pgliteSharedBuffersMb ?? 0);
}

async function openPostgres(connectionString: string, options: DatabaseOptions): Promise<Database> {
  const openPool = (url: string, timeoutMs: number): pg.Pool => {
    const created = new pg.Pool({
      connectionString: url,
      max: options.poolSize,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: timeoutMs,
      statement_timeout: options.statementTimeoutMs,
    });
    // A broken idle connection must not crash the process: the pool drops it and the
    // next request opens a fresh one, which is how the server recovers from an outage.
    created.on('error', (error) => options.onPoolError?.(error));
    // pg-pool listens for errors of idle connections only: a connection in use that the server
    // or a pooler drops (PgBouncer's "server conn crashed") would otherwise emit an unhandled
    // 'error' and end the process. Its statement fails with that error and the caller answers it.
    created.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)));
    return created;
  };
  const pool = openPool(connectionString, 5_000);
  const replicaUrls = options.replicaUrls ?? [];
  const readRouter =
    replicaUrls.length === 0
      ? undefined
      : new ReadRouter(
          pool,
          // A replica that does not answer quickly is skipped: its reads go to the primary.
          replicaUrls.map((url) => openPool(url, 1_000)),
          { maxLagMs: options.replicaMaxLagMs ?? 5_000, checkIntervalMs: options.replicaCheckIntervalMs ?? 500, onReplicaState: options.onReplicaState },
        );
  await readRouter?.start();
  const analyzer = new AnalyzeScheduler(500, true);
  const names = options.preparedStatements === false ? undefined : new StatementNames(PREPARED_STATEMENT_LIMIT);
  const db = new Kysely<DatabaseSchema>({ dialect: new NamedStatementDialect(readRouter?.pool() ?? pool, names), plugins: [analyzer] });
  analyzer.attach(db as unknown as Kysely<unknown>);
  // The server's autovacuum keeps statistics fresh; where it is off, the scheduler does.
  try {
    const setting = await sql<{ on: boolean }>`select current_setting('autovacuum') = 'on' as on`.execute(db);
    if (setting.rows[0]?.on !== false) analyzer.disable();
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return withDatabaseHandle(
    {
      engine: 'postgres',
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: () => db.destroy(),
      readRouter,
    },
    db,
  );
}

async function startPGlite(dataDir: string): Promise<PGlite> {
  const pglite = new PGlite(dataDir === 'memory://' ? undefined : dataDir, {
    parsers: { 20: KEEP_AS_TEXT, 1700: KEEP_AS_TEXT },
  });
  await pglite.waitReady;
  return pglite;
}

/**
 * Sets shared_buffers of a PGlite data directory, which takes effect at the next start: PGlite
 * ignores `-c shared_buffers` in its start parameters, but reads postgresql.auto.conf (ALTER
 * SYSTEM). Its default, 128 MB, sits in the server's own memory (the WASM heap), and once touched
 * is never given back. Returns whether the setting changed (the caller then restarts PGlite);
 * a data directory keeps it, so this happens once.
 */
async function setSharedBuffers(pglite: PGlite, megabytes: number): Promise<boolean> {
  const current = await pglite.query<{ kb: string }>(`select (setting::bigint * 8)::text as kb from pg_settings where name = 'shared_buffers'`);
  if (Number(current.rows[0]?.kb) === megabytes * 1024) return false;
  // An integer from the validated configuration, not input.
  await pglite.exec(`alter system set shared_buffers = '${Math.floor(megabytes)}MB'`);
  return true;
}

async function openPGlite(dataDir: string, statementTimeoutMs: number | undefined, sharedBuffersMb: number): Promise<Database> {
  const unlock = dataDir === 'memory://' ? () => undefined : lockDataDirectory(dataDir);
  try {
    return await openLockedPGlite(dataDir, statementTimeoutMs, sharedBuffersMb, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function openLockedPGlite(dataDir: string, statementTimeoutMs: number | undefined, sharedBuffersMb: number, unlock: () => void): Promise<Database> {
  if (dataDir !== 'memory://' && !isPGliteDirectory(dataDir)) await createPGliteDirectory(dataDir, sharedBuffersMb);
  let pglite = await startPGlite(dataDir);
  // A memory:// database cannot be restarted (it would start empty, with PGlite's default again).
  if (dataDir !== 'memory://' && sharedBuffersMb > 0 && (await setSharedBuffers(pglite, sharedBuffersMb))) {
    await pglite.close();
    pglite = await startPGlite(dataDir);
  }
  if (statementTimeoutMs !== undefined)
    await pglite.exec(`set statement_timeout = ${Math.floor(statementTimeoutMs)}`);
  const analyzer = new AnalyzeScheduler();
  const db = new Kysely<DatabaseSchema>({ dialect: new PGliteDialect(pglite), plugins: [analyzer] });
  analyzer.attach(db as unknown as Kysely<unknown>);
  return withDatabaseHandle(
    {
      engine: 'pglite',
      ping: async () => {
        await sql`select 1`.execute(db);
      },
      close: async () => {
        try {
          await db.destroy();
        } finally {
          unlock();
        }
      },
    },
    db,
  );
}
