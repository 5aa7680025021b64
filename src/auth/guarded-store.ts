import type { Kysely } from 'kysely';
import type { Resource } from 'fhir/r4';
import type { DatabaseSchema } from '../store/schema';
import { ResourceStore, type HistoryQuery, type HistoryRow, type StoredResource } from '../store/resource-store';
import type { RequestAccess } from './request-access';

/**
 * The store of one request when authorization is on. It carries the request's access so
 * that the search service (which receives the store) can narrow searches, and it guards
 * what is read through it directly (history routes, operations and workflows that read the
 * store): a resource outside the grant reads as absent, a type without `r` is refused.
 * Reads for update (`forUpdate`) are not guarded: the write that follows checks itself.
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

  /** The same connection without the guard, for the checks themselves. */
  unchecked(): ResourceStore {
    return new ResourceStore(this.db, this.isTransaction);
  }

  override async read(resourceType: string, id: string, forUpdate = false): Promise<StoredResource | undefined> {
    if (forUpdate) return super.read(resourceType, id, true);
    const access = this.access.policy.require(resourceType, 'r', 'Read');
    const stored = await super.read(resourceType, id);
    if (!stored) return stored;
    const resource = JSON.parse(stored.content) as Resource;
    if (access.kind !== 'all' && !(await this.access.storedMeets(this, resource, access))) return undefined;
    // What operations and workflows read through the store is audited like a read.
    if (!stored.deleted) this.access.touch(resource);
    return stored;
  }

  override async readMany(keys: { resourceType: string; id: string }[]): Promise<StoredResource[]> {
    const rows = await super.readMany(keys.filter((k) => this.access.policy.access(k.resourceType, 'r').kind !== 'none'));
    const out: StoredResource[] = [];
    for (const row of rows) {
      const access = this.access.policy.access(row.resourceType, 'r');
      const resource = JSON.parse(row.content) as Resource;
      if (access.kind === 'all' || (await this.access.storedMeets(this, resource, access))) {
        out.push(row);
        this.access.touch(resource);
      }
    }
    return out;
  }

  override async readVersion(resourceType: string, id: string, versionId: number): Promise<HistoryRow | undefined> {
    if (this.access.policy.require(resourceType, 'r', 'Read').kind === 'all') return super.readVersion(resourceType, id, versionId);
    const keep = await this.access.historyFilter(this, { resourceType, id });
    const row = await super.readVersion(resourceType, id, versionId);
    return row !== undefined && keep !== undefined && !keep(row) ? undefined : row;
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
