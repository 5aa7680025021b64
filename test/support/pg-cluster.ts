import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The machine's PostgreSQL 15 binaries (Debian's layout), run as the postgres user. */
export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PG_USER = 'postgres';

async function asPostgres(command: string, args: string[]): Promise<string> {
  const { stdout } = await run('runuser', ['-u', PG_USER, '--', command, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL topology in a temp folder: a primary, a streaming replica made with
 * `pg_basebackup -R`, and PgBouncer in transaction mode in front of the primary, each on its
 * own port. destroy() stops all three and removes the folder.
 */
export interface PgCluster {
  dir: string;
  primaryPort: number;
  replicaPort: number;
  bouncerPort: number;
  primaryUrl(database?: string): string;
  replicaUrl(database?: string): string;
  bouncerUrl(database?: string): string;
  stopPrimary(): Promise<void>;
  startPrimary(): Promise<void>;
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Runs SQL on the primary (or the replica) over a fresh connection. */
  query<R extends pg.QueryResultRow>(where: 'primary' | 'replica', text: string, database?: string): Promise<R[]>;
  /** Pauses WAL replay on the replica and waits until it has taken effect (replay pauses before the next record only). */
  pauseReplay(): Promise<void>;
  /** True when the primary has written WAL the replica has not replayed. */
  replayIsBehind(): Promise<boolean>;
  /** Waits until the replica has replayed everything the primary has written so far. */
  waitForReplay(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fhir-cluster-'));
  const { uid, gid } = { uid: Number((await run('id', ['-u', PG_USER])).stdout.trim()), gid: Number((await run('id', ['-g', PG_USER])).stdout.trim()) };
  chownSync(dir, uid, gid);
  chmodSync(dir, 0o700);
  const primaryDir = path.join(dir, 'primary');
  const replicaDir = path.join(dir, 'replica');
  const [primaryPort, replicaPort, bouncerPort] = [await freePort(), await freePort(), await freePort()];
  const started: string[] = [];
  let bouncer: ChildProcess | undefined;

  const ctl = (dataDir: string, action: 'start' | 'stop') =>
    asPostgres(path.join(PG_BIN, 'pg_ctl'), ['-D', dataDir, '-l', path.join(dir, `${path.basename(dataDir)}.log`), '-w', '-t', '60', ...(action === 'stop' ? ['-m', 'fast'] : []), action]);

  const cluster: PgCluster = {
    dir,
    primaryPort,
    replicaPort,
    bouncerPort,
    primaryUrl: (database = 'postgres') => `postgres://postgres@127.0.0.1:${primaryPort}/${database}`,
    replicaUrl: (database = 'postgres') => `postgres://postgres@127.0.0.1:${replicaPort}/${database}`,
    bouncerUrl: (database = 'postgres') => `postgres://postgres@127.0.0.1:${bouncerPort}/${database}`,
    stopPrimary: async () => void (await ctl(primaryDir, 'stop')),
    startPrimary: async () => void (await ctl(primaryDir, 'start')),
    stopReplica: async () => void (await ctl(replicaDir, 'stop')),
    startReplica: async () => void (await ctl(replicaDir, 'start')),
    query: async <R extends pg.QueryResultRow>(where: 'primary' | 'replica', text: string, database = 'postgres') => {
      const client = new pg.Client({ connectionString: where === 'primary' ? cluster.primaryUrl(database) : cluster.replicaUrl(database) });
      await client.connect();
      try {
        return (await client.query<R>(text)).rows;
      } finally {
        await client.end();
      }
    },
    pauseReplay: async () => {
      await cluster.query('replica', 'select pg_wal_replay_pause()');
      for (let i = 0; i < 200; i++) {
        const [{ state }] = await cluster.query<{ state: string }>('replica', 'select pg_get_wal_replay_pause_state() as state');
        if (state === 'paused') return;
        // Some WAL to read makes the replay loop reach its pause check.
        await cluster.query('primary', 'create table if not exists replay_probe (at timestamptz); insert into replay_probe values (now())');
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the replica did not pause');
    },
    replayIsBehind: async () => {
      const [{ lsn }] = await cluster.query<{ lsn: string }>('primary', 'select pg_current_wal_insert_lsn()::text as lsn');
      const [{ behind }] = await cluster.query<{ behind: boolean }>('replica', `select pg_last_wal_replay_lsn() < '${lsn}'::pg_lsn as behind`);
      return behind;
    },
    waitForReplay: async () => {
      const [{ lsn }] = await cluster.query<{ lsn: string }>('primary', 'select pg_current_wal_insert_lsn()::text as lsn');
      for (let i = 0; i < 200; i++) {
        const [{ done }] = await cluster.query<{ done: boolean }>('replica', `select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn as done`);
        if (done) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the replica did not catch up');
    },
    destroy: async () => {
      if (bouncer !== undefined && bouncer.exitCode === null) {
        const exited = new Promise((r) => bouncer!.once('exit', r));
        bouncer.kill('SIGTERM');
        await exited;
      }
      for (const dataDir of started.reverse()) await ctl(dataDir, 'stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await asPostgres(path.join(PG_BIN, 'initdb'), ['-D', primaryDir, '-A', 'trust', '-U', PG_USER, '--no-sync', '-E', 'UTF8', '--locale=C']);
    appendFileSync(
      path.join(primaryDir, 'postgresql.conf'),
      [
        `port = ${primaryPort}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'wal_level = replica',
        'max_wal_senders = 5',
        'hot_standby = on',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 32MB',
        'max_connections = 100',
        '',
      ].join('\n'),
    );
    await ctl(primaryDir, 'start');
    started.push(primaryDir);
    await asPostgres(path.join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', PG_USER, '-D', replicaDir, '-R', '-X', 'stream', '--no-sync']);
    appendFileSync(path.join(replicaDir, 'postgresql.conf'), `port = ${replicaPort}\n`);
    await ctl(replicaDir, 'start');
    started.push(replicaDir);

    const ini = path.join(dir, 'pgbouncer.ini');
    const users = path.join(dir, 'userlist.txt');
    writeFileSync(users, `"${PG_USER}" ""\n`);
    writeFileSync(
      ini,
      [
        '[databases]',
        `* = host=127.0.0.1 port=${primaryPort}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${bouncerPort}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${users}`,
        'pool_mode = transaction',
        'max_client_conn = 500',
        'default_pool_size = 20',
        // pg sends statement_timeout as a start-up parameter; behind the pooler it is a role setting.
        'ignore_startup_parameters = extra_float_digits,statement_timeout',
        'server_reset_query =',
        // A primary restart: retry its login each second, and answer a waiting client within 10 s.
        'server_login_retry = 1',
        'query_wait_timeout = 10',
        '',
      ].join('\n'),
    );
    for (const file of [ini, users]) chownSync(file, uid, gid);
    bouncer = spawn('runuser', ['-u', PG_USER, '--', 'pgbouncer', ini], { stdio: ['ignore', 'ignore', 'pipe'] });
    let bouncerLog = '';
    bouncer.stderr?.on('data', (chunk: Buffer) => (bouncerLog = (bouncerLog + chunk.toString()).slice(-4000)));
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = net.connect(bouncerPort, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (ok) break;
      if (i > 100 || bouncer.exitCode !== null) throw new Error(`PgBouncer did not start: ${bouncerLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    statSync(dir);
    return cluster;
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
}
