import { sql, type Kysely, type Transaction } from 'kysely';
import type { IndexValues } from '../fhir/search/index-values';
import type { DatabaseSchema } from './schema';
import { deleteIndexRows, insertIndexRows } from './index/write-index-rows';
import { WriteBuffer, type BufferedRow } from './write-buffer';
import { StatementTemplates } from './statement-templates';

export interface StoredResource {
  rid: string;
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  /** JSON text exactly as stored and served. */
  content: string;
}

export interface HistoryRow {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'DELETE';
  content: string | null;
  /** Read past the page's byte budget (HistoryQuery.maxBytes): no content, and the page ends before it. */
  pastBudget?: boolean;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  since?: string;
  /** Keyset cursor: entries strictly older than this (lastUpdated, type, id, version). */
  before?: { lastUpdated: string; resourceType: string; id: string; versionId: number };
  count: number;
  /**
   * Bytes of content the rows may carry: a row that would take the total (newest first) past
   * this comes without content and marked pastBudget (the first row always has its content).
   */
  maxBytes?: number;
}

export interface NewVersion {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  content: string;
  index: IndexValues;
}

/** A write that found the row already there (concurrent create of the same id). */
export class DuplicateResourceError extends Error {}

const LAST_UPDATED = sql<string>`to_json(last_updated)#>>'{}'`;

/** Checks to run before a transaction (keyed by its connection) commits; see ResourceStore.beforeCommit. */
const beforeCommit = new WeakMap<object, Array<(store: ResourceStore) => Promise<void>>>();
/** Effects to run after a transaction (keyed by its connection) commits; see ResourceStore.afterCommit. */
const afterCommit = new WeakMap<object, Array<() => void>>();

/** The columns of a StoredRow. */
const STORED_COLUMNS = [
  'rid',
  'resource_type',
  'id',
  'version_id',
  'deleted',
  'content',
  LAST_UPDATED.as('last_updated'),
] as const;

/** Read by type and id, the hottest query of all: compiled once, then filled with each read's values. */
const readStatement = new StatementTemplates(1);

const readQuery = (db: Kysely<DatabaseSchema>, resourceType: string, id: string) =>
  db
    .selectFrom('resource')
    .select(STORED_COLUMNS)
    .where('resource_type', '=', resourceType)
    .where('id', '=', id);

/**
 * Resources, their history and their search-index rows. Every write method runs on the
 * executor it was built with; `transaction` gives a store bound to one transaction so
 * that a resource, its history row and its index rows commit together.
 *
 * A store made by `holdingWritesBack` (inside a transaction) holds its writes back in a
 * WriteBuffer and writes them with a few multi-row statements: when `flush` is called, and
 * before any read that the held writes could change. Reads of one resource by type and id
 * are answered from the buffer when it holds the row; whoever reads through `db` directly
 * (the searches of the Repository) calls `flushBeforeReading` first.
 */
export class ResourceStore {
  /** Writes taken in this store, by resource type (see `writeCount` and `readOnce`). */
  private readonly writesByType = new Map<string, number>();
  /** Lookups kept by `readOnce`, with the writes of their type when they were made. */
  private readonly kept = new Map<string, { written: number; value: unknown }>();

  constructor(
    readonly db: Kysely<DatabaseSchema>,
    private readonly inTransaction = false,
    private readonly buffer?: WriteBuffer,
  ) {}

  /** The same transaction with its writes held back (see the class comment). */
  holdingWritesBack(): ResourceStore {
    if (!this.inTransaction) throw new Error('Writes can be held back only inside a transaction');
    return this.buffer ? this : new ResourceStore(this.db, true, new WriteBuffer());
  }

  get holdsWritesBack(): boolean {
    return this.buffer !== undefined;
  }

  /** Who writes now (a Bundle entry's index): named by an error found when held writes are written. */
  get writer(): number | undefined {
    return this.buffer?.writer;
  }

  set writer(writer: number | undefined) {
    if (this.buffer) this.buffer.writer = writer;
  }

  /** Writes taken by this store so far (whether some work wrote anything). */
  writeCount(): number {
    let writes = 0;
    for (const n of this.writesByType.values()) writes += n;
    return writes;
  }

  private count(resourceType: string): void {
    this.writesByType.set(resourceType, (this.writesByType.get(resourceType) ?? 0) + 1);
  }

  /**
   * A lookup of resources of one type, kept for the rest of a transaction that holds its writes
   * back while it writes no resource of that type; elsewhere `read` runs every time.
   */
  async readOnce<T>(key: string, resourceType: string, read: () => Promise<T>): Promise<T> {
    if (!this.buffer) return read();
    const written = this.writesByType.get(resourceType) ?? 0;
    const name = `${resourceType} ${key}`;
    const known = this.kept.get(name);
    if (known !== undefined && known.written === written) return known.value as T;
    const value = await read();
    this.kept.set(name, { written, value });
    return value;
  }

  /** Writes whatever the buffer holds (nothing to do for a store that does not hold writes back). */
  async flush(): Promise<void> {
    await this.buffer?.flush(this.db);
  }

  /**
   * Before a read through `db` of rows of these types (undefined: of any type): writes what the
   * buffer holds, unless it holds no write of these types.
   */
  async flushBeforeReading(resourceTypes: readonly string[] | undefined): Promise<void> {
    if (resourceTypes !== undefined && this.buffer?.holdsWritesOf(resourceTypes) === false) return;
    await this.flush();
  }

  /** Whether the store holds an unwritten change of the resource (then its database row is stale). */
  holdsChangeOf(resourceType: string, id: string): boolean {
    return this.buffer?.holdsChangeOf(resourceType, id) ?? false;
  }

  /**
   * The live resources of a type that the store changed and holds unwritten, whose new index
   * values pass the test; with `targets` (`Type/id`), only those referring to one.
   */
  heldMatching(
    resourceType: string,
    test: (index: IndexValues) => boolean,
    targets?: readonly string[],
  ): StoredResource[] {
    return (this.buffer?.heldMatching(resourceType, test, targets) ?? []).map(fromBuffer);
  }

  /**
   * Reads and locks (FOR UPDATE, in key order) the rows of many resources in one statement,
   * so that the reads for update that follow are answered by the buffer. Only for a buffered store.
   */
  async lockForUpdate(keys: { resourceType: string; id: string }[]): Promise<void> {
    const buffer = this.buffer;
    if (!buffer) return;
    const todo = new Map<string, { resourceType: string; id: string }>();
    for (const k of keys)
      if (buffer.lookup(k.resourceType, k.id) === undefined) todo.set(`${k.resourceType}/${k.id}`, k);
    if (todo.size === 0) return;
    const wanted = [...todo.values()];
    const { rows } =
      await sql<StoredRow>`select rid, resource_type, id, version_id, deleted, content, ${LAST_UPDATED} as last_updated
      from resource
      where (resource_type, id) in (select * from unnest(${wanted.map((k) => k.resourceType)}::text[], ${wanted.map((k) => k.id)}::text[]))
      order by resource_type, id
      for update`.execute(this.db);
    for (const k of wanted) buffer.remember(k.resourceType, k.id, null);
    for (const row of rows) buffer.remember(row.resource_type, row.id, toStoredResource(row));
  }

  async transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return work(this);
    const committed: Array<() => void> = [];
    const result = await this.db.transaction().execute(async (trx: Transaction<DatabaseSchema>) => {
      const store = new ResourceStore(trx, true);
      afterCommit.set(trx, committed);
      const value = await work(store);
      const checks = beforeCommit.get(trx) ?? [];
      beforeCommit.delete(trx);
      for (const check of checks) await check(store);
      return value;
    });
    for (const effect of committed) effect();
    return result;
  }

  /**
   * Runs `effect` once the transaction has committed (never when it rolls back); outside a
   * transaction, at once. For changes of process-wide state (the search parameter registry, the
   * supported profiles) that must not show what was never stored.
   */
  afterCommit(effect: () => void): void {
    const list = this.inTransaction ? afterCommit.get(this.db) : undefined;
    if (list) list.push(effect);
    else effect();
  }

  /**
   * Runs `check` when the transaction's work is done, before it commits (a throw rolls it back);
   * outside a transaction, at once. Every store on the transaction's connection shares the list.
   */
  async beforeCommit(check: (store: ResourceStore) => Promise<void>): Promise<void> {
    if (!this.inTransaction) return check(this);
    const checks = beforeCommit.get(this.db) ?? [];
    checks.push(check);
    beforeCommit.set(this.db, checks);
  }

  /**
   * The keys that name no live resource: neither written (and not deleted) in this transaction
   * nor stored. An existence check, not a read: it reveals no content and is not guarded.
   */
  async missingResources<K extends { resourceType: string; id: string }>(keys: readonly K[]): Promise<K[]> {
    const missing: K[] = [];
    const ask: K[] = [];
    for (const key of keys) {
      const held = this.buffer?.lookup(key.resourceType, key.id);
      if (held === undefined) ask.push(key);
      else if (held === null || held.deleted) missing.push(key);
    }
    if (ask.length === 0) return missing;
    const { rows } = await sql<{ resource_type: string; id: string }>`select resource_type, id from resource
      where (resource_type, id) in (select * from unnest(${ask.map((k) => k.resourceType)}::text[], ${ask.map((k) => k.id)}::text[]))
      and not deleted`.execute(this.db);
    const live = new Set(rows.map((r) => `${r.resource_type}/${r.id}`));
    return [...missing, ...ask.filter((k) => !live.has(`${k.resourceType}/${k.id}`))];
  }

  get isTransaction(): boolean {
    return this.inTransaction;
  }

  async read(resourceType: string, id: string, forUpdate = false): Promise<StoredResource | undefined> {
    const held = this.buffer?.lookup(resourceType, id);
    if (held !== undefined) return held === null ? undefined : fromBuffer(held);
    const row = forUpdate
      ? await readQuery(this.db, resourceType, id).forUpdate().executeTakeFirst()
      : await this.readUnlocked(resourceType, id);
    const stored = row ? toStoredResource(row) : undefined;
    if (forUpdate) this.buffer?.remember(resourceType, id, stored ?? null);
    return stored;
  }

  /** Building the read with Kysely on every call cost ~7% of a read's CPU. */
  private async readUnlocked(resourceType: string, id: string): Promise<StoredRow | undefined> {
    const compiled = readStatement.fill('read', [resourceType, id], ([type, key]) =>
      readQuery(this.db, type, key).compile(),
    );
    const result = await this.db.executeQuery<StoredRow>(
      compiled ?? readQuery(this.db, resourceType, id).compile(),
    );
    return result.rows[0];
  }

  /** Reads many live resources by type and id in one round trip. */
  async readMany(keys: { resourceType: string; id: string }[]): Promise<StoredResource[]> {
    if (keys.length === 0) return [];
    await this.flush();
    const rows = await this.db
      .selectFrom('resource')
      .select(STORED_COLUMNS)
      .where('deleted', '=', false)
      .where((eb) =>
        eb.or(keys.map((k) => eb.and([eb('resource_type', '=', k.resourceType), eb('id', '=', k.id)]))),
      )
      .execute();
    return rows.map(toStoredResource);
  }

  async readVersion(resourceType: string, id: string, versionId: number): Promise<HistoryRow | undefined> {
    await this.flush();
    const row = await this.db
      .selectFrom('resource_history')
      .select(['resource_type', 'id', 'version_id', 'method', 'content', LAST_UPDATED.as('last_updated')])
      .where('resource_type', '=', resourceType)
      .where('id', '=', id)
      .where('version_id', '=', versionId)
      .executeTakeFirst();
    return row ? toHistoryRow(row) : undefined;
  }

  /** Inserts version 1 of a new resource. Throws DuplicateResourceError if the id is taken. */
  async insert(version: NewVersion): Promise<string> {
    this.count(version.resourceType);
    if (this.buffer) {
      if (this.buffer.lookup(version.resourceType, version.id))
        throw new DuplicateResourceError(`${version.resourceType}/${version.id} exists`);
      const { index, ...row } = version;
      this.buffer.insert(row, index);
      return PENDING_RID;
    }
    const inserted = await this.db
      .insertInto('resource')
      .values({
        resource_type: version.resourceType,
        id: version.id,
        version_id: version.versionId,
        last_updated: version.lastUpdated,
        deleted: false,
        content: version.content,
      })
      .onConflict((oc) => oc.columns(['resource_type', 'id']).doNothing())
      .returning('rid')
      .executeTakeFirst();
    if (!inserted) throw new DuplicateResourceError(`${version.resourceType}/${version.id} exists`);
    await this.insertHistory(version, 'POST');
    await insertIndexRows(this.db, [
      { rid: inserted.rid, resourceType: version.resourceType, values: version.index },
    ]);
    return inserted.rid;
  }

  /** Many new resources at once (bulk load): one statement per table. */
  async insertMany(versions: NewVersion[]): Promise<void> {
    if (versions.length === 0) return;
    if (this.buffer) {
      for (const v of versions) await this.insert(v);
      return;
    }
    for (const v of versions) this.count(v.resourceType);
    const rows = await this.db
      .insertInto('resource')
      .values(
        versions.map((v) => ({
          resource_type: v.resourceType,
          id: v.id,
          version_id: v.versionId,
          last_updated: v.lastUpdated,
          deleted: false,
          content: v.content,
        })),
      )
      .returning(['rid', 'resource_type', 'id'])
      .execute();
    const ridOf = new Map(rows.map((r) => [`${r.resource_type}/${r.id}`, r.rid]));
    await this.db
      .insertInto('resource_history')
      .values(
        versions.map((v) => ({
          resource_type: v.resourceType,
          id: v.id,
          version_id: v.versionId,
          last_updated: v.lastUpdated,
          method: 'POST',
          content: v.content,
        })),
      )
      .execute();
    await insertIndexRows(
      this.db,
      versions.map((v) => ({
        rid: ridOf.get(`${v.resourceType}/${v.id}`)!,
        resourceType: v.resourceType,
        values: v.index,
      })),
    );
  }

  /** Replaces the current version of an existing row (also revives a deleted one). */
  async replace(rid: string, version: NewVersion): Promise<void> {
    this.count(version.resourceType);
    if (this.buffer) {
      const { index, ...row } = version;
      this.buffer.replace(row, index);
      return;
    }
    await this.db
      .updateTable('resource')
      .set({
        version_id: version.versionId,
        last_updated: version.lastUpdated,
        deleted: false,
        content: version.content,
      })
      .where('rid', '=', rid)
      .execute();
    await this.insertHistory(version, 'PUT');
    await deleteIndexRows(this.db, rid);
    await insertIndexRows(this.db, [{ rid, resourceType: version.resourceType, values: version.index }]);
  }

  /** Replaces only the index rows (reindex). */
  async reindex(rid: string, resourceType: string, index: IndexValues): Promise<void> {
    await this.flush();
    await deleteIndexRows(this.db, rid);
    await insertIndexRows(this.db, [{ rid, resourceType, values: index }]);
  }

  async markDeleted(
    rid: string,
    resourceType: string,
    id: string,
    versionId: number,
    lastUpdated: string,
  ): Promise<void> {
    this.count(resourceType);
    if (this.buffer) {
      this.buffer.markDeleted(resourceType, id, versionId, lastUpdated);
      return;
    }
    await this.db
      .updateTable('resource')
      .set({ version_id: versionId, last_updated: lastUpdated, deleted: true })
      .where('rid', '=', rid)
      .execute();
    await this.db
      .insertInto('resource_history')
      .values({
        resource_type: resourceType,
        id,
        version_id: versionId,
        last_updated: lastUpdated,
        method: 'DELETE',
        content: null,
      })
      .execute();
    await deleteIndexRows(this.db, rid);
  }

  async history(query: HistoryQuery): Promise<HistoryRow[]> {
    await this.flush();
    let q = this.db
      .selectFrom('resource_history')
      .select(['resource_type', 'id', 'version_id', 'method', 'content', LAST_UPDATED.as('last_updated')]);
    if (query.resourceType !== undefined) q = q.where('resource_type', '=', query.resourceType);
    if (query.id !== undefined) q = q.where('id', '=', query.id);
    if (query.since !== undefined) q = q.where('last_updated', '>=', query.since);
    const before = query.before;
    if (before !== undefined) {
      q = q.where((eb) =>
        eb(
          eb.refTuple('last_updated', 'resource_type', 'id', 'version_id'),
          '<',
          eb.tuple(before.lastUpdated, before.resourceType, before.id, before.versionId),
        ),
      );
    }
    const page = q
      .orderBy('last_updated', 'desc')
      .orderBy('resource_type', 'desc')
      .orderBy('id', 'desc')
      .orderBy('version_id', 'desc')
      .limit(query.count);
    if (query.maxBytes === undefined) return (await page.execute()).map(toHistoryRow);
    // Within the byte budget: a row's content only while the contents up to it (in page order)
    // fit, the first row always; octet_length reads the stored size without reading or
    // decompressing the content.
    const order = sql`h.last_updated desc, h.resource_type desc, h.id desc, h.version_id desc`;
    const upTo = (frame: string) =>
      sql`coalesce(sum(octet_length(h.content)) over (order by ${order} rows between unbounded preceding and ${sql.raw(frame)}), 0)`;
    const within = sql`(${upTo('1 preceding')} = 0 or ${upTo('current row')} <= ${query.maxBytes})`;
    const rows = await sql<{
      resource_type: string;
      id: string;
      version_id: number;
      method: string;
      content: string | null;
      last_updated: string;
      past_budget: boolean;
    }>`
      select h.resource_type, h.id, h.version_id, h.method, h.last_updated,
        case when ${within} then h.content end as content, not ${within} as past_budget
      from (${page}) h order by ${order}`.execute(this.db);
    return rows.rows.map(toHistoryRow);
  }

  async countHistory(query: Omit<HistoryQuery, 'count' | 'before'>): Promise<number> {
    await this.flush();
    let q = this.db.selectFrom('resource_history').select((eb) => eb.fn.countAll<string>().as('n'));
    if (query.resourceType !== undefined) q = q.where('resource_type', '=', query.resourceType);
    if (query.id !== undefined) q = q.where('id', '=', query.id);
    if (query.since !== undefined) q = q.where('last_updated', '>=', query.since);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Streams (rid, content) of live resources in rid order, for reindexing. */
  async livePage(resourceType: string | undefined, afterRid: string, limit: number) {
    await this.flush();
    let q = this.db
      .selectFrom('resource')
      .select(['rid', 'resource_type', 'content'])
      .where('deleted', '=', false)
      .where('rid', '>', afterRid);
    if (resourceType !== undefined) q = q.where('resource_type', '=', resourceType);
    return q.orderBy('rid').limit(limit).execute();
  }

  async countLive(resourceType: string | undefined): Promise<number> {
    await this.flush();
    let q = this.db
      .selectFrom('resource')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('deleted', '=', false);
    if (resourceType !== undefined) q = q.where('resource_type', '=', resourceType);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  private async insertHistory(version: NewVersion, method: 'POST' | 'PUT'): Promise<void> {
    await this.db
      .insertInto('resource_history')
      .values({
        resource_type: version.resourceType,
        id: version.id,
        version_id: version.versionId,
        last_updated: version.lastUpdated,
        method,
        content: version.content,
      })
      .execute();
  }
}

interface StoredRow {
  rid: string;
  resource_type: string;
  id: string;
  version_id: number;
  deleted: boolean;
  content: string;
  last_updated: string;
}

/**
 * The rid a buffered store gives a resource it has not written yet. A buffered store's
 * replace and markDeleted find the row by type and id, so the rid is not used there.
 */
const PENDING_RID = '';

function fromBuffer(row: BufferedRow): StoredResource {
  return { ...row, rid: row.rid ?? PENDING_RID };
}

function toStoredResource(row: StoredRow): StoredResource {
  return {
    rid: row.rid,
    resourceType: row.resource_type,
    id: row.id,
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    deleted: row.deleted,
    content: row.content,
  };
}

function toHistoryRow(row: {
  resource_type: string;
  id: string;
  version_id: number;
  method: string;
  content: string | null;
  last_updated: string;
  past_budget?: boolean;
}): HistoryRow {
  return {
    resourceType: row.resource_type,
    id: row.id,
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    method: row.method as HistoryRow['method'],
    content: row.content,
    ...(row.past_budget === true ? { pastBudget: true } : {}),
  };
}
