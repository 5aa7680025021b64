/**
 * Our PGlite Kysely dialect (src/store/pglite-dialect.ts) against the published ones, on one
 * in-memory PGlite, in the same run (docs/decisions/pglite-dialect.md):
 *
 *   npx tsx bench/pglite-dialect.ts [--ms 1000] [--rounds 3] [--kysely-next MODULE]
 *
 * The candidates are not dependencies of the project: each one that is not installed is skipped
 * with a message. To measure them, install them beside ours without touching package.json:
 *
 *   npm install --no-save --legacy-peer-deps kysely-pglite-dialect@1.3.1 kysely-pglite@0.6.1 kysely-next@npm:kysely@0.29.9
 *   npx tsx bench/pglite-dialect.ts --kysely-next kysely-next
 *
 * (`--kysely-next` names a module that exports Kysely's own PGliteDialect, Kysely 0.29 and
 * later; `kysely` itself is tried first.) `npm ci` puts node_modules back afterwards.
 *
 * First the correctness checks, each dialect in turn: a migration of ours with several
 * statements (sql/001_resources.sql) run in a transaction as src/store/migrate.ts runs it, then
 * rolled back; a query issued while a transaction holds the connection must wait for it (it must
 * not see the transaction's uncommitted row, nor be rolled back with it); a failed transaction
 * leaves the connection usable; `stream()`; the count of updated rows.
 *
 * Then the measurements, each `--ms` long, `--rounds` times, the dialects interleaved (rotated
 * order in each round): (a) a parameterised select by primary key, one caller; (b) an insert in a
 * transaction, one caller; (c) 8 callers selecting by primary key while (d) 2 callers run
 * transactions (insert + update). Each figure is printed per round and as the median over the
 * rounds of its ratio to ours in the same round (throughput: above 1 is faster; latency: below 1
 * is faster).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Kysely, sql, type Dialect } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from '../src/store/pglite-dialect';

interface BenchSchema {
  bench_item: { id: number; name: string; n: number };
  bench_log: { id: number | undefined; item_id: number; note: string };
}

interface Subject {
  name: string;
  db: Kysely<BenchSchema>;
  /** The `sql` tag of the Kysely the dialect runs under (a candidate may bring its own Kysely). */
  sql: typeof sql;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const MS = Number(option('ms') ?? 1000);
const ROUNDS = Number(option('rounds') ?? 3);
const ITEMS = 1000;
const MIGRATION = path.resolve(__dirname, '..', 'sql', '001_resources.sql');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomId = () => 1 + Math.floor(Math.random() * ITEMS);

/** Loads a module by a name held in a variable, so type checking never needs a candidate installed. */
async function load(specifier: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

function packageVersion(name: string): string | undefined {
  try {
    return (
      JSON.parse(
        readFileSync(path.resolve(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8'),
      ) as { version?: string }
    ).version;
  } catch {
    return undefined;
  }
}

type Constructor<T> = new (...args: unknown[]) => T;

async function candidates(pglite: PGlite): Promise<Subject[]> {
  const found: Subject[] = [];
  const skip = (name: string, why: string) => console.log(`skipped ${name}: ${why}`);

  const pgliteDialect = await load('kysely-pglite-dialect');
  if (pgliteDialect === undefined) skip('kysely-pglite-dialect', 'not installed');
  else {
    const Dialect = pgliteDialect.PGliteDialect as Constructor<Dialect>;
    found.push({
      name: 'kysely-pglite-dialect',
      db: new Kysely<BenchSchema>({ dialect: new Dialect(pglite) }),
      sql,
    });
  }

  const kyselyPGlite = await load('kysely-pglite');
  if (kyselyPGlite === undefined) skip('kysely-pglite', 'not installed');
  else {
    // It takes the instance only when `instanceof` its own import of PGlite (the ES module build).
    const KyselyPGlite = kyselyPGlite.KyselyPGlite as Constructor<{ dialect: Dialect }>;
    found.push({
      name: 'kysely-pglite',
      db: new Kysely<BenchSchema>({ dialect: new KyselyPGlite(pglite).dialect }),
      sql,
    });
  }

  const nextNames = ['kysely', ...(option('kysely-next') ? [option('kysely-next') as string] : [])];
  let own = false;
  for (const name of nextNames) {
    const kysely = await load(name);
    if (kysely?.PGliteDialect === undefined) continue;
    const version = packageVersion(name);
    const KyselyNext = kysely.Kysely as Constructor<Kysely<BenchSchema>>;
    const Dialect = kysely.PGliteDialect as Constructor<Dialect>;
    found.push({
      name: `kysely ${String(version ?? name)} PGliteDialect`,
      db: new KyselyNext({ dialect: new Dialect({ pglite }) }),
      sql: kysely.sql as typeof sql,
    });
    own = true;
    break;
  }
  if (!own)
    skip(
      "Kysely's own PGliteDialect",
      `not exported by ${nextNames.join(' or ')} (Kysely 0.29 and later; see --kysely-next)`,
    );
  return found;
}

// ---------------------------------------------------------------------------------------------
// Correctness

async function check(label: string, run: () => Promise<string | undefined>): Promise<boolean> {
  try {
    const problem = await run();
    console.log(`  ${problem === undefined ? 'ok  ' : 'FAIL'} ${label}${problem ? `: ${problem}` : ''}`);
    return problem === undefined;
  } catch (error) {
    console.log(`  FAIL ${label}: ${(error as Error).message.split('\n')[0]}`);
    return false;
  }
}

class Rollback extends Error {}

async function correctness(s: Subject): Promise<Record<string, boolean>> {
  console.log(s.name);
  const { db } = s;
  const results: Record<string, boolean> = {};

  results.migration = await check(
    `migration with several statements (${path.basename(MIGRATION)}) in a transaction`,
    async () => {
      const script = readFileSync(MIGRATION, 'utf8');
      let created: unknown;
      await db
        .transaction()
        .execute(async (trx) => {
          await s.sql.raw(script).execute(trx);
          created = (
            await s.sql<{ t: string | null }>`select to_regclass('resource')::text as t`.execute(trx)
          ).rows[0]?.t;
          throw new Rollback();
        })
        .catch((error) => {
          if (!(error instanceof Rollback)) throw error;
        });
      const left = (await s.sql<{ t: string | null }>`select to_regclass('resource')::text as t`.execute(db))
        .rows[0]?.t;
      if (created !== 'resource') return 'the script did not create its table';
      if (left !== null) return 'the rollback left the table behind';
      return undefined;
    },
  );

  results.serialized = await check(
    'a query during a transaction waits for it (sees no uncommitted row, is not rolled back with it)',
    async () => {
      const marker = `iso-${s.name}-${Date.now()}`;
      let txEnded = 0;
      const tx = db
        .transaction()
        .execute(async (trx) => {
          await trx
            .insertInto('bench_log')
            .values({ item_id: -1, note: `${marker}-tx` })
            .execute();
          await sleep(50);
          throw new Rollback();
        })
        .catch((error) => {
          txEnded = performance.now();
          if (!(error instanceof Rollback)) throw error;
        });
      await sleep(10);
      const outside = (async () => {
        const seen = await db
          .selectFrom('bench_log')
          .select(db.fn.countAll<string>().as('c'))
          .where('note', '=', `${marker}-tx`)
          .executeTakeFirstOrThrow();
        await db
          .insertInto('bench_log')
          .values({ item_id: -1, note: `${marker}-out` })
          .execute();
        return { seen: Number(seen.c), done: performance.now() };
      })();
      const [, out] = await Promise.all([tx, outside]);
      const count = async (note: string) =>
        Number(
          (
            await db
              .selectFrom('bench_log')
              .select(db.fn.countAll<string>().as('c'))
              .where('note', '=', note)
              .executeTakeFirstOrThrow()
          ).c,
        );
      const problems: string[] = [];
      if (out.seen !== 0) problems.push("saw the transaction's uncommitted row");
      if (out.done < txEnded) problems.push('ran before the transaction ended');
      if ((await count(`${marker}-tx`)) !== 0) problems.push("the transaction's row survived its rollback");
      if ((await count(`${marker}-out`)) !== 1)
        problems.push('the outside insert was rolled back with the transaction');
      return problems.length ? problems.join('; ') : undefined;
    },
  );

  results.failedTransaction = await check('a failed transaction leaves the connection usable', async () => {
    await db
      .transaction()
      .execute(async (trx) => {
        await s.sql`select * from no_such_table`.execute(trx);
      })
      .catch(() => undefined);
    const row = await db.selectFrom('bench_item').select('id').where('id', '=', 1).executeTakeFirst();
    return row?.id === 1 ? undefined : 'the next query did not answer';
  });

  results.stream = await check('stream()', async () => {
    let rows = 0;
    for await (const _row of db.selectFrom('bench_item').select('id').where('id', '<=', 100).stream(10))
      rows++;
    return rows === 100 ? undefined : `${rows} rows instead of 100`;
  });

  results.updatedRows = await check('count of updated rows', async () => {
    const result = await db
      .updateTable('bench_item')
      .set({ n: 0 })
      .where('id', '<=', 3)
      .executeTakeFirstOrThrow();
    return Number(result.numUpdatedRows) === 3 ? undefined : `numUpdatedRows ${result.numUpdatedRows}`;
  });
  return results;
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Figures {
  [figure: string]: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;

/** Runs `op` in a loop on `callers` callers for `ms`, returning operations per second, p50 and p99 (ms) and errors. */
async function loop(
  callers: number,
  ms: number,
  op: () => Promise<unknown>,
): Promise<{ perSecond: number; p50: number; p99: number; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: (latencies.length / elapsed) * 1000,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
  };
}

const selectById = (db: Kysely<BenchSchema>) =>
  db
    .selectFrom('bench_item')
    .select(['id', 'name', 'n'])
    .where('id', '=', randomId())
    .executeTakeFirstOrThrow();

const insertInTransaction = (db: Kysely<BenchSchema>) =>
  db
    .transaction()
    .execute((trx) => trx.insertInto('bench_log').values({ item_id: randomId(), note: 'insert' }).execute());

const writeTransaction = (db: Kysely<BenchSchema>) =>
  db.transaction().execute(async (trx) => {
    const id = randomId();
    await trx.insertInto('bench_log').values({ item_id: id, note: 'mixed' }).execute();
    await trx
      .updateTable('bench_item')
      .set((eb) => ({ n: eb('n', '+', 1) }))
      .where('id', '=', id)
      .execute();
  });

type Workload = (db: Kysely<BenchSchema>, ms: number) => Promise<Figures>;

const WORKLOADS: Record<string, Workload> = {
  'select by id': async (db, ms) => {
    const r = await loop(1, ms, () => selectById(db));
    return { 'ops/s': r.perSecond, 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors };
  },
  'insert in a transaction': async (db, ms) => {
    const r = await loop(1, ms, () => insertInTransaction(db));
    return { 'tx/s': r.perSecond, 'p50 ms': r.p50, 'p99 ms': r.p99, errors: r.errors };
  },
  '8 selects beside 2 transactions': async (db, ms) => {
    const [selects, txs] = await Promise.all([
      loop(8, ms, () => selectById(db)),
      loop(2, ms, () => writeTransaction(db)),
    ]);
    return {
      'select/s': selects.perSecond,
      'select p50 ms': selects.p50,
      'select p99 ms': selects.p99,
      'tx/s': txs.perSecond,
      'tx p50 ms': txs.p50,
      'tx p99 ms': txs.p99,
      errors: selects.errors + txs.errors,
    };
  },
};

const fmt = (n: number) =>
  Number.isNaN(n) ? '-' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
const median = (values: number[]) => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

async function main(): Promise<void> {
  // The ES module build of PGlite, so that kysely-pglite (an ES module) recognises the instance.
  const { PGlite: PGliteClass } = await import('@electric-sql/pglite');
  const pglite = new PGliteClass();
  await pglite.waitReady;
  await pglite.exec(`
    create table bench_item (id int primary key, name text not null, n int not null default 0);
    insert into bench_item (id, name) select i, 'item ' || i from generate_series(1, ${ITEMS}) i;
    create table bench_log (id serial primary key, item_id int not null, note text not null);
  `);
  const versions = (await pglite.query<{ v: string }>('select version() as v')).rows[0].v;
  console.log(
    `PGlite ${packageVersion('@electric-sql/pglite')} (${versions.split(',')[0]}), ${MS} ms per measurement, ${ROUNDS} rounds\n`,
  );

  const subjects: Subject[] = [
    {
      name: 'ours',
      db: new Kysely<BenchSchema>({ dialect: new PGliteDialect(pglite as unknown as PGlite) }),
      sql,
    },
    ...(await candidates(pglite as unknown as PGlite)),
  ];

  console.log('\nCorrectness');
  for (const s of subjects) await correctness(s);

  // Warm up every dialect on every workload before the first round.
  for (const workload of Object.values(WORKLOADS))
    for (const s of subjects) await workload(s.db, Math.min(300, MS));

  const results = new Map<string, Map<string, Figures[]>>(); // workload -> subject -> rounds
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, workload] of Object.entries(WORKLOADS)) {
      const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]);
      for (const s of order) {
        const figures = await workload(s.db, MS);
        const bySubject = results.get(name) ?? new Map<string, Figures[]>();
        results.set(name, bySubject);
        bySubject.set(s.name, [...(bySubject.get(s.name) ?? []), figures]);
      }
    }
  }

  console.log(`\nMeasurements: each figure per round, then [median ratio to ours in the same round]`);
  for (const [workload, bySubject] of results) {
    console.log(`\n${workload}`);
    const ours = bySubject.get('ours') as Figures[];
    for (const s of subjects) {
      const rounds = bySubject.get(s.name) as Figures[];
      const cells = Object.keys(rounds[0]).map((figure) => {
        const values = rounds.map((r) => fmt(r[figure])).join(' ');
        if (figure === 'errors') return `errors ${rounds.reduce((sum, r) => sum + r.errors, 0)}`;
        const ratio =
          s.name === 'ours' ? '' : ` [${fmt(median(rounds.map((r, i) => r[figure] / ours[i][figure])))}]`;
        return `${figure} ${values}${ratio}`;
      });
      console.log(`  ${s.name.padEnd(32)} ${cells.join(' | ')}`);
    }
  }
  await pglite.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
