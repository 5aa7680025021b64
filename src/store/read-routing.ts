import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import { runStatement, type StatementClient, type StatementPool } from './named-statement-dialect';

/**
 * Read replicas: which pool answers a statement.
 *
 * A request runs inside a RouteScope (set by the HTTP layer). A statement goes to a streaming
 * replica only when all of these hold:
 * - its scope is read-only (GET/HEAD) — writes, transactions, conditional operations and every
 *   statement outside a request (start-up, migrations, background work) use the primary;
 * - it is the first statement of its connection and is a plain SELECT (a `begin` pins the whole
 *   transaction to the primary, and so does any statement that writes or locks);
 * - a healthy replica exists: reachable, and not lagging by more than `maxLagMs`;
 * - read-your-writes: the client wrote nothing that replica has not replayed yet. The primary's
 *   WAL position after each write of a client is kept (per instance) and a replica serves that
 *   client only once its replay position has passed it; while a write is still in flight, the
 *   client's reads go to the primary.
 * Across instances (which do not share the write positions) a read that finds nothing on the
 * replica is repeated on the primary, so a resource created through one instance is never
 * missing on another; a changed resource may be seen in its previous version there for at most
 * the replica's lag (bounded by maxLagMs).
 * A replica that fails a statement with a connection error is marked down and the statement is
 * retried on the primary; the next health check brings it back. With the primary down, reads
 * go to the replicas whatever the client wrote (they are the only copy that answers).
 */
export interface RouteScope {
  /** GET/HEAD: statements may go to a replica. */
  readOnly: boolean;
  /** Who is asking (the read-your-writes rule is per client). */
  client: string;
  /** The pool that answered the last statement of the request (for the X-Database-Pool header). */
  pool?: string;
}

interface Target {
  name: string;
  pool: pg.Pool;
  replica: boolean;
  /** Replicas: reachable at the last check. */
  up: boolean;
  /** Replicas: WAL replayed at the last check. */
  replayLsn: bigint;
  /** Replicas: not behind the primary by more than the allowed lag. */
  current: boolean;
}

export interface ReadRoutingOptions {
  /** A replica further behind than this (time since the primary reached its replay position) is skipped. */
  maxLagMs: number;
  /** Health and lag check interval. */
  checkIntervalMs: number;
  onReplicaState?: (name: string, state: 'up' | 'down' | 'lagging') => void;
}

const scopes = new AsyncLocalStorage<RouteScope>();

/** `16/B374D848` -> a comparable number. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

const READ_ONLY_START = /^\s*(?:\/\*[^*]*\*\/\s*)*(?:select|with)\b/i;
const WRITES_OR_LOCKS = /\b(?:insert|update|delete|merge|for\s+share|for\s+no\s+key|nextval|setval|pg_advisory\w*|set_config|pg_notify|listen|notify)\b/i;

const readOnlyTexts = new Map<string, boolean>();

/** True for a statement a hot standby can answer with the same result (a SELECT that writes and locks nothing). */
export function isReadOnlyStatement(text: string): boolean {
  const known = readOnlyTexts.get(text);
  if (known !== undefined) return known;
  const answer = READ_ONLY_START.test(text) && !WRITES_OR_LOCKS.test(text);
  if (readOnlyTexts.size < 2000) readOnlyTexts.set(text, answer);
  return answer;
}

const CONNECTION_FAILURE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

function isConnectionFailure(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && CONNECTION_FAILURE.has(code)) return true;
  return error instanceof Error && /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(error.message);
}

/**
 * What the HTTP layer sees of read routing: a request's scope and its writes. The pools and
 * connections stay inside src/store.
 */
export type RequestRouting = Pick<ReadRouter, 'run' | 'beginWrite' | 'endWrite' | 'state'>;

export class ReadRouter {
  private readonly primary: Target;
  private readonly replicas: Target[];
  private readonly writes = new Map<string, { pending: number; lsn: bigint }>();
  /** Recent positions of the primary's WAL, oldest first (for the lag rule). */
  private readonly primaryLsns: Array<{ at: number; lsn: bigint }> = [];
  private primaryUp = true;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    primary: pg.Pool,
    replicas: pg.Pool[],
    private readonly options: ReadRoutingOptions,
  ) {
    this.primary = { name: 'primary', pool: primary, replica: false, up: true, replayLsn: 0n, current: true };
    this.replicas = replicas.map((pool, i) => ({ name: `replica-${i + 1}`, pool, replica: true, up: false, replayLsn: 0n, current: false }));
  }

  /** Checks once now, then every checkIntervalMs. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking;
    await Promise.all(this.replicas.map((r) => r.pool.end()));
  }

  /** Runs fn with this scope for every statement it issues. */
  run<T>(scope: RouteScope, fn: () => T): T {
    return scopes.run(scope, fn);
  }

  /** A write of this client started: its reads go to the primary until endWrite. */
  beginWrite(client: string): void {
    const state = this.writes.get(client) ?? { pending: 0, lsn: 0n };
    state.pending += 1;
    this.writes.delete(client);
    this.writes.set(client, state);
    if (this.writes.size > 50_000) this.writes.delete(this.writes.keys().next().value as string);
  }

  /**
   * The write ended: its reads may go to a replica that has replayed the primary's WAL up to now.
   * The insert position, not the write position: with synchronous_commit off a commit's WAL may
   * still sit in the primary's buffers when its answer is sent.
   */
  async endWrite(client: string): Promise<void> {
    const state = this.writes.get(client);
    if (state === undefined) return;
    try {
      const result = await this.primary.pool.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
      const lsn = parseLsn(result.rows[0].lsn);
      if (lsn > state.lsn) state.lsn = lsn;
    } catch {
      // The primary is gone: nothing more recent than the replicas can be read anyway.
    } finally {
      state.pending -= 1;
    }
  }

  /** The pools and what the last check found, for logs and tests. */
  state(): Array<{ name: string; up: boolean; current: boolean; replayLsn: string }> {
    return [this.primary, ...this.replicas].map((t) => ({ name: t.name, up: t.up, current: t.current, replayLsn: t.replayLsn.toString() }));
  }

  /** Where a connection's first statement goes. */
  targetFor(text: string, scope: RouteScope | undefined): Target {
    if (scope === undefined || !scope.readOnly || this.replicas.length === 0 || !isReadOnlyStatement(text)) return this.primary;
    const write = this.writes.get(scope.client);
    const usable = this.replicas.filter((r) => r.up && (r.current || !this.primaryUp));
    const caughtUp = write === undefined ? usable : write.pending > 0 ? [] : usable.filter((r) => r.replayLsn >= write.lsn);
    if (write !== undefined && write.pending === 0 && caughtUp.length === usable.length) this.writes.delete(scope.client);
    const candidates = caughtUp.length > 0 ? caughtUp : this.primaryUp ? [] : usable;
    if (candidates.length === 0) return this.primary;
    this.next = (this.next + 1) % candidates.length;
    return candidates[this.next];
  }

  markDown(target: Target): void {
    if (!target.replica || !target.up) return;
    target.up = false;
    this.options.onReplicaState?.(target.name, 'down');
  }

  /** A pool for the database's dialect (named-statement-dialect.ts) that routes each connection's statements. */
  pool(): StatementPool {
    return {
      connect: async () => new RoutingClient(this, scopes.getStore()),
      end: async () => {
        await this.stop();
        await this.primary.pool.end();
      },
    };
  }

  private check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    const now = Date.now();
    try {
      const result = await this.primary.pool.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
      this.primaryLsns.push({ at: now, lsn: parseLsn(result.rows[0].lsn) });
      this.primaryUp = true;
    } catch {
      this.primaryUp = false;
    }
    // The primary's position maxLagMs ago: a replica that has not replayed that far lags more than allowed.
    while (this.primaryLsns.length > 1 && this.primaryLsns[1].at <= now - this.options.maxLagMs) this.primaryLsns.shift();
    const oldest = this.primaryLsns[0];
    const threshold = oldest !== undefined && oldest.at <= now - this.options.maxLagMs ? oldest.lsn : 0n;
    await Promise.all(
      this.replicas.map(async (replica) => {
        const before = replica.up ? (replica.current ? 'up' : 'lagging') : 'down';
        try {
          const result = await replica.pool.query<{ lsn: string | null }>('select pg_last_wal_replay_lsn()::text as lsn');
          replica.replayLsn = result.rows[0].lsn === null ? 0n : parseLsn(result.rows[0].lsn);
          replica.up = true;
          replica.current = replica.replayLsn >= threshold;
        } catch {
          replica.up = false;
        }
        const after = replica.up ? (replica.current ? 'up' : 'lagging') : 'down';
        if (after !== before) this.options.onReplicaState?.(replica.name, after);
      }),
    );
  }

  /** Runs a connection's first statement, on a replica when the rules allow, else the primary; answers the connection that ran it. */
  async open(scope: RouteScope | undefined, statement: pg.QueryConfig): Promise<{ client: pg.PoolClient; run: Promise<pg.QueryResult> }> {
    const text = statement.text;
    const target = this.targetFor(text, scope);
    if (target.replica) {
      let client: pg.PoolClient | undefined;
      try {
        client = await target.pool.connect();
        const result = await runStatement(client, statement);
        if (result.rows.length > 0 || !this.primaryUp) {
          if (scope) scope.pool = target.name;
          return { client, run: Promise.resolve(result) };
        }
        // Nothing on the replica: what another instance has just created may not have arrived
        // yet, so an empty answer is confirmed on the primary (a read by id is never a false 404).
        client.release();
      } catch (error) {
        if (client !== undefined && !isConnectionFailure(error)) return { client, run: Promise.reject(error) };
        if (client === undefined && !isConnectionFailure(error)) throw error;
        client?.release(true);
        this.markDown(target);
      }
    }
    if (scope === undefined || !scope.readOnly || this.replicas.length === 0 || !isReadOnlyStatement(text)) {
      const client = await this.primary.pool.connect();
      if (scope) scope.pool = this.primary.name;
      return { client, run: runStatement(client, statement) };
    }
    // A read sent to the primary: when the primary turns out to be gone (before the health
    // check has noticed), the replicas are the only copy that answers.
    let client: pg.PoolClient | undefined;
    try {
      client = await this.primary.pool.connect();
      const result = await runStatement(client, statement);
      scope.pool = this.primary.name;
      return { client, run: Promise.resolve(result) };
    } catch (error) {
      if (!isPrimaryGone(error)) {
        if (client !== undefined) return { client, run: Promise.reject(error) };
        throw error;
      }
      client?.release(true);
      for (const replica of this.replicas.filter((r) => r.up)) {
        let fallback: pg.PoolClient | undefined;
        try {
          fallback = await replica.pool.connect();
          const result = await runStatement(fallback, statement);
          scope.pool = replica.name;
          return { client: fallback, run: Promise.resolve(result) };
        } catch (replicaError) {
          fallback?.release(true);
          if (!isConnectionFailure(replicaError)) throw replicaError;
          this.markDown(replica);
        }
      }
      throw error;
    }
  }
}

/** What PgBouncer answers when it cannot reach the database behind it (a primary restart, a failover). */
export const POOLER_UNAVAILABLE = /pgbouncer cannot connect to server|server login has been failing|server conn crashed|query_wait_timeout/i;

/** The primary cannot be reached, directly or through a pooler. */
function isPrimaryGone(error: unknown): boolean {
  if (isConnectionFailure(error)) return true;
  const message = error instanceof Error ? error.message : '';
  return POOLER_UNAVAILABLE.test(message) || /Connection terminated/i.test(message);
}

/**
 * One Kysely connection: takes a pooled connection of the pool chosen for its first statement
 * and keeps it (so a transaction stays on one server) until released.
 */
class RoutingClient implements StatementClient {
  private inner: pg.PoolClient | undefined;

  constructor(
    private readonly router: ReadRouter,
    private readonly scope: RouteScope | undefined,
  ) {}

  query(statement: pg.QueryConfig, callback: (error: Error | null, result: pg.QueryResult) => void): void {
    if (this.inner !== undefined) {
      this.inner.query(statement, callback);
      return;
    }
    this.router.open(this.scope, statement).then(
      ({ client, run }) => {
        this.inner = client;
        run.then(
          (result) => callback(null, result),
          (error: Error) => callback(error, undefined as unknown as pg.QueryResult),
        );
      },
      (error: Error) => callback(error, undefined as unknown as pg.QueryResult),
    );
  }

  release(destroy?: boolean): void {
    this.inner?.release(destroy);
    this.inner = undefined;
  }
}
