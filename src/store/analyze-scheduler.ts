import {
  InsertQueryNode,
  sql,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/**
 * Keeps planner statistics fresh on the embedded database. PGlite has no autovacuum
 * daemon, so without ANALYZE the planner believes the tables are empty and picks plans
 * that scan everything once they are not (a 10k-resource store made Task searches take
 * seconds). This plugin counts rows inserted into `resource` and, past a threshold, runs
 * ANALYZE once the current work is done. PostgreSQL's autovacuum does this by itself.
 */
export class AnalyzeScheduler implements KyselyPlugin {
  private pendingRows = 0;
  private analyzedAtRows = 0;
  private scheduled = false;
  private db: Kysely<unknown> | undefined;

  constructor(private readonly minimumRows = 500) {}

  attach(db: Kysely<unknown>): void {
    this.db = db;
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (InsertQueryNode.is(node) && node.into?.table.identifier.name === 'resource') {
      const values = node.values as { values?: readonly unknown[] } | undefined;
      this.pendingRows += values?.values?.length ?? 1;
      if (!this.scheduled && this.pendingRows >= Math.max(this.minimumRows, this.analyzedAtRows * 0.2)) {
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
      if (this.db) await sql`analyze`.execute(this.db);
      this.analyzedAtRows += rows;
      this.pendingRows -= rows;
    } catch {
      // Closed or busy: the next batch of writes schedules it again.
    } finally {
      this.scheduled = false;
    }
  }
}
