/**
 * EXPLAIN (ANALYZE, BUFFERS) of the SQL our server compiles for one search, to see where a slow
 * query spends its time (planning or execution) on a kept benchmark database:
 *
 *   npx tsx bench/explain-search.ts --database-url postgres:///bench_kept_1m_bench_80 \
 *     'DocumentReference?procedure=http://www.ama-assn.org/go/cpt|63047' [--runs 10] [--plan]
 *
 * It opens the store the way the server does (migrations, search parameters; the library is not
 * loaded), compiles the search's first page (with its _include, when the server reads that in
 * the same statement) and runs EXPLAIN `--runs` times on one connection,
 * printing the median planning and execution times; `--plan` also prints the last plan.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../src/config';
import { openRuntime } from '../src/app/runtime';
import { databaseHandle } from '../src/store/database-handle';
import { compileSearchPage, compiledPageWithIncluded } from '../src/store/search/search-query';
import { expandTokenFilters } from '../src/services/terminology-service';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const databaseUrl = option('database-url');
  const search = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
  if (databaseUrl === undefined || search === undefined) throw new Error('usage: explain-search.ts --database-url URL Type?params [--runs N] [--plan]');
  const runs = Number(option('runs') ?? '10');
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: '1', LOAD_CONTENT: 'false', AUTH: 'off', LOG_LEVEL: 'silent' });
  const runtime = await openRuntime(config, pino({ level: 'silent' }));
  try {
    const { ctx } = runtime;
    // The store's own handle: this tool runs the store's compiled SQL under EXPLAIN.
    const db = databaseHandle(ctx.database);
    const [type, query = ''] = search.split('?');
    const { request } = ctx.searchService.parse([type], [...new URLSearchParams(query)], true);
    const filters = await expandTokenFilters(ctx.service.repository, ctx.searchService, request.filters);
    const pageQuery = { resourceTypes: request.resourceTypes, filters, sort: request.sort, limit: request.count + 1 };
    // A search with one _include runs as one statement with its page, as the server runs it.
    const include = ctx.searchService.includeWithPage(request);
    const withInclude = include !== undefined ? compiledPageWithIncluded(db, pageQuery, include) : undefined;
    const compiled = withInclude ?? compileSearchPage(db, pageQuery);
    const planning: number[] = [];
    const execution: number[] = [];
    let plan: string[] = [];
    for (let i = 0; i < runs; i++) {
      const explained = await db.executeQuery<{ 'QUERY PLAN': string }>({
        ...compiled,
        sql: `explain (analyze, buffers) ${compiled.sql}`,
      });
      plan = explained.rows.map((r) => r['QUERY PLAN']);
      for (const line of plan) {
        const m = /^(Planning|Execution) Time: ([\d.]+) ms/.exec(line);
        if (m) (m[1] === 'Planning' ? planning : execution).push(Number(m[2]));
      }
    }
    const version = await sql<{ v: string }>`select version() as v`.execute(db);
    process.stdout.write(`${version.rows[0].v}\n${search}\n${runs} runs: planning median ${median(planning).toFixed(3)} ms, execution median ${median(execution).toFixed(3)} ms\n`);
    if (process.argv.includes('--plan')) process.stdout.write(`${compiled.sql}\n${JSON.stringify(compiled.parameters)}\n${plan.join('\n')}\n`);
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
