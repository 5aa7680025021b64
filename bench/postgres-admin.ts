/** Creates and drops the benchmark's databases on the machine's Postgres server. */
import pg from 'pg';

export const DATABASE_PREFIX = 'bench_';

async function withClient<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The URL of database `name` on the same server as `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function assertName(name: string): void {
  if (!/^bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing database name "${name}"`);
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  assertName(name);
  await withClient(adminUrl, async (c) => {
    await c.query(`drop database if exists ${name} with (force)`);
    await c.query(`create database ${name}`);
  });
  return databaseUrl(adminUrl, name);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  assertName(name);
  await withClient(adminUrl, (c) => c.query(`drop database if exists ${name} with (force)`));
}

export async function postgresVersion(adminUrl: string): Promise<string> {
  return withClient(
    adminUrl,
    async (c) => (await c.query<{ v: string }>("select current_setting('server_version') as v")).rows[0].v,
  );
}

export async function postgresSettings(adminUrl: string): Promise<Record<string, string>> {
  return withClient(adminUrl, async (c) => {
    const names = ['shared_buffers', 'work_mem', 'max_connections', 'synchronous_commit'];
    const rows = (
      await c.query<{ name: string; setting: string; unit: string | null }>(
        'select name, setting, unit from pg_settings where name = any($1)',
        [names],
      )
    ).rows;
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));
  });
}

/** Size of a database on disk, in MB. */
export async function databaseSizeMb(adminUrl: string, name: string): Promise<number> {
  return withClient(
    adminUrl,
    async (c) =>
      Number((await c.query<{ n: string }>('select pg_database_size($1) as n', [name])).rows[0].n) / 1e6,
  );
}

/** Runs one query on a benchmark database (EXPLAIN ANALYZE, ANALYZE). */
export async function queryDatabase<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return withClient(url, async (c) => (await c.query<T>(text, values)).rows);
}

/** The comment of database `name` (a kept benchmark database records what it holds there), or undefined. */
export async function databaseComment(adminUrl: string, name: string): Promise<string | undefined> {
  assertName(name);
  return withClient(adminUrl, async (c) => {
    const rows = (
      await c.query<{ comment: string | null }>(
        'select shobj_description(oid, $2) as comment from pg_database where datname = $1',
        [name, 'pg_database'],
      )
    ).rows;
    return rows[0]?.comment ?? undefined;
  });
}
