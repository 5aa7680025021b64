import type { Kysely } from 'kysely';
import type { DatabaseSchema } from '../store/schema';
import { ResourceStore, type HistoryQuery, type HistoryRow } from '../store/resource-store';
import type { RequestAccess } from './request-access';

/**
 * The store of one request when authorization is on. It carries the request's access so
 * that the search service (which receives the store) can narrow searches, and it checks
 * history queries itself: the history routes read the store directly.
 */
export class GuardedStore extends ResourceStore {
  constructor(
    db: Kysely<DatabaseSchema>,
    inTransaction: boolean,
    readonly access: RequestAccess,
  ) {
    super(db, inTransaction);
  }

  override async transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (this.isTransaction) return work(this);
    return super.transaction((store) => work(new GuardedStore(store.db, true, this.access)));
  }

  override async history(query: HistoryQuery): Promise<HistoryRow[]> {
    const keep = await this.access.historyFilter(this, query);
    if (keep === undefined) return super.history(query);
    // Left-out versions must not shorten the page: read on until it is full or history ends.
    const out: HistoryRow[] = [];
    let before = query.before;
    for (;;) {
      const rows = await super.history({ ...query, before });
      for (const row of rows) {
        if (keep(row)) out.push(row);
        if (out.length >= query.count) return out;
      }
      if (rows.length < query.count) return out;
      const last = rows[rows.length - 1];
      before = { lastUpdated: last.lastUpdated, resourceType: last.resourceType, id: last.id, versionId: last.versionId };
    }
  }

  override async countHistory(query: Omit<HistoryQuery, 'count' | 'before'>): Promise<number> {
    const keep = await this.access.historyFilter(this, query);
    if (keep === undefined) return super.countHistory(query);
    // Only instance history is filtered, and one resource's versions are few: count what is shown.
    return (await super.history({ ...query, count: 100_000 })).filter(keep).length;
  }
}
