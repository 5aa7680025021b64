import {
  InsertQueryNode,
  RawNode,
  TableNode,
  ValueNode,
  sql,
  type Kysely,
  type KyselyPlugin,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import { INDEX_TABLES } from './index/write-index-rows';

/**
 * Keeps planner statistics fresh where no autovacuum daemon does: on the embedded database
 * (PGlite has none) and on a PostgreSQL server whose `autovacuum` is off (this project's CI
 * machine turns it off). Without ANALYZE the planner believes the tables are empty and picks plans
 * that scan everything once they are not: a 10k-resource PGlite store made Task searches take
 * seconds, and a 1M PostgreSQL ingest stalled at 225k resources when the QuestionnaireResponse
 * hook's Task search took seconds per response. This plugin counts rows inserted into `resource`
 * (Kysely inserts, and the multi-row `unnest` inserts of buffered transactions) and, past a
 * threshold, runs ANALYZE once the current work is done.
 */
/**
 * The tables whose statistics plan searches. Not resource_history (read by primary key only)
 * nor the small bookkeeping tables: resource_history was ~15% of each ANALYZE at 100k resources.
 */
const SEARCHED_TABLES = ['resource', ...INDEX_TABLES];

/**
 * How much the store must grow (rows written, as a share of the rows at the last ANALYZE) before
 * the next one. The planner scales a table's row count by its current size at planning time, so
 * what goes stale as it grows is the distribution of values, which a store that doubles keeps
 * well enough. Each ANALYZE samples up to 30,000 rows of each of nine tables (0.65 s at 100k
 * resources); at 20% growth they were ~20% of PostgreSQL's CPU in a bulk load (perf, 100k).
 */
export const GROWTH_BEFORE_ANALYZE = 1;

export class AnalyzeScheduler implements KyselyPlugin {
  private pendingRows = 0;
  private analyzedAtRows = 0;
  private scheduled = false;
  private db: Kysely<unknown> | undefined;
  private enabled = true;

  /**
   * @param minimumRows rows written before the first ANALYZE (then GROWTH_BEFORE_ANALYZE × the rows analysed)
   * @param waitForCommit PostgreSQL: the writes counted here may not be committed yet (another
   *   connection would analyse the table without them), so ANALYZE runs once the server's own
   *   count of committed changes (`n_mod_since_analyze`, the figure autovacuum uses) has caught
   *   up, polled every second for up to a minute. PGlite serialises connections: not needed.
   */
  constructor(
    private readonly minimumRows = 500,
    private readonly waitForCommit = false,
  ) {}

  attach(db: Kysely<unknown>): void {
    this.db = db;
  }

  /** Stops counting and analysing (a PostgreSQL server whose autovacuum does it). */
  disable(): void {
    this.enabled = false;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (!this.enabled) return node;
    const rows = resourceRowsInserted(node);
    if (rows > 0) {
      this.pendingRows += rows;
      if (!this.scheduled && this.pendingRows >= Math.max(this.minimumRows, this.analyzedAtRows * GROWTH_BEFORE_ANALYZE)) {
        this.scheduled = true;
        // After the current transaction: PGlite serialises connections, so this waits its turn.
        setTimeout(() => void this.analyze(), 0);
      }
    }
    return node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }

  private async analyze(): Promise<void> {
    const rows = this.pendingRows;
    try {
      if (this.db && this.waitForCommit) await untilCommitted(this.db, rows);
      if (this.db) await sql`analyze ${sql.raw(SEARCHED_TABLES.join(', '))}`.execute(this.db);
      this.analyzedAtRows += rows;
      this.pendingRows -= rows;
    } catch {
      // Closed or busy: the next batch of writes schedules it again.
    } finally {
      this.scheduled = false;
    }
  }
}

/** Waits until the server counts at least `rows` committed changes of `resource` since its last ANALYZE (at most a minute). */
async function untilCommitted(db: Kysely<unknown>, rows: number): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const result = await sql<{
      n: string | null;
    }>`select n_mod_since_analyze::text as n from pg_stat_user_tables
      where relid = 'resource'::regclass`.execute(db);
    if (Number(result.rows[0]?.n ?? 0) >= rows) return;
    await new Promise((resolve) => setTimeout(resolve, 1000).unref());
  }
}

const RAW_RESOURCE_INSERT = /\binsert\s+into\s+resource\s*\(/i;

/**
 * Whether any SQL fragment of a raw statement says `insert`: a test without building the text,
 * as every search passes through here (building the text of each cost ~4% of a search's CPU).
 */
function mentionsInsert(raw: RawNode): boolean {
  // Our statements are written in lower case (a Kysely insert is an InsertQueryNode, not raw).
  if (raw.sqlFragments.some((fragment) => fragment.includes('insert'))) return true;
  return raw.parameters.some((parameter) => RawNode.is(parameter) && mentionsInsert(parameter));
}

/**
 * Rows a statement inserts into `resource`: a Kysely insert's value rows, or for raw SQL that
 * inserts into it (a buffered transaction's `insert … select * from unnest($1, …)`, possibly
 * inside a `with` of several statements) the length of its longest array parameter.
 */
export function resourceRowsInserted(node: OperationNode): number {
  if (InsertQueryNode.is(node)) {
    if (node.into?.table.identifier.name !== 'resource') return 0;
    const values = node.values as { values?: readonly unknown[] } | undefined;
    return values?.values?.length ?? 1;
  }
  if (!RawNode.is(node) || !mentionsInsert(node)) return 0;
  let longestArray = 0;
  // The statement's text with table names in place (sql.table) and `?` for values.
  const textOf = (raw: RawNode): string =>
    raw.sqlFragments
      .map((fragment, i) => {
        const parameter = raw.parameters[i];
        if (parameter === undefined) return fragment;
        if (RawNode.is(parameter)) return fragment + textOf(parameter);
        if (TableNode.is(parameter)) return fragment + parameter.table.identifier.name;
        if (ValueNode.is(parameter) && Array.isArray(parameter.value)) {
          longestArray = Math.max(longestArray, (parameter.value as unknown[]).length);
        }
        return `${fragment}?`;
      })
      .join('');
  if (!RAW_RESOURCE_INSERT.test(textOf(node))) return 0;
  return Math.max(longestArray, 1);
}
