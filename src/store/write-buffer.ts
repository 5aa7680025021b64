import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { IndexValues } from '../fhir/search/index-values';
import type { DatabaseSchema } from './schema';
import type { StoredResource } from './resource-store';
import {
  indexDeleteParts,
  indexInsertParts,
  runAsOneStatement,
  unnestInsert,
  type IndexRowsOf,
} from './index/write-index-rows';

/**
 * What a buffered store knows of one row: the locked row read from the database, or its state
 * after the pending writes. A stored resource whose rid is undefined until the next flush
 * writes it.
 */
export type BufferedRow = Omit<StoredResource, 'rid'> & { rid: string | undefined };

interface PendingRow extends BufferedRow {
  /** Index values of the current version; undefined for a deleted resource. */
  index: IndexValues | undefined;
  /** The row exists in the database with index rows of an older version to delete. */
  clearIndex: boolean;
  /** Who wrote it (a Bundle entry), for an error found at flush time. */
  writer: number | undefined;
}

interface PendingHistory {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'DELETE';
  content: string | null;
}

/**
 * New resources whose id another transaction took after this one looked (a concurrent create),
 * found when the held rows are written; `writer` is who wrote each (a Bundle entry's index).
 */
export class CreatedMeanwhileError extends Error {
  constructor(readonly rows: { resourceType: string; id: string; writer: number | undefined }[]) {
    super(`${rows.map((r) => `${r.resourceType}/${r.id}`).join(', ')} already exist`);
  }
}

export const keyOf = (resourceType: string, id: string) => `${resourceType}/${id}`;

/**
 * The writes of one transaction held back and written together: every new resource in one
 * INSERT, and then history rows, updated rows, deleted and new index rows of all the others in
 * one more statement (multi-row `unnest` of array parameters: the number of bound parameters does
 * not grow with the rows). The store that owns it answers reads of the rows it holds from here
 * and flushes before any other read, so callers see exactly what unbuffered writes would show.
 */
export class WriteBuffer {
  /** Rows read for update (null: known to be absent) and rows written since the last flush. */
  private readonly known = new Map<string, BufferedRow | null>();
  private readonly pending = new Map<string, PendingRow>();
  private history: PendingHistory[] = [];
  /** Which pending rows refer to a `Type/id` (any version written since the last flush: the rows are tested again). */
  private readonly referencing = new Map<string, Set<string>>();
  /** Who writes now (a Bundle entry's index), recorded on every write taken. */
  writer: number | undefined;

  get isEmpty(): boolean {
    return this.pending.size === 0;
  }

  /** Whether it holds a write not yet flushed of any of these resource types. */
  holdsWritesOf(resourceTypes: readonly string[]): boolean {
    for (const row of this.pending.values()) if (resourceTypes.includes(row.resourceType)) return true;
    return false;
  }

  /** Whether this transaction changed the resource and has not flushed the change (the database's row of it is stale). */
  holdsChangeOf(resourceType: string, id: string): boolean {
    return this.pending.has(keyOf(resourceType, id));
  }

  /**
   * The live resources of a type changed and not flushed whose pending index values pass the
   * test. With `targets` (`Type/id`), only rows with a reference to one of them are tested.
   */
  heldMatching(
    resourceType: string,
    test: (index: IndexValues) => boolean,
    targets?: readonly string[],
  ): BufferedRow[] {
    const found: BufferedRow[] = [];
    const consider = (row: PendingRow | undefined) => {
      if (row?.resourceType === resourceType && row.index !== undefined && test(row.index)) found.push(row);
    };
    if (targets === undefined) {
      for (const row of this.pending.values()) consider(row);
      return found;
    }
    const keys = new Set(targets.flatMap((t) => [...(this.referencing.get(t) ?? [])]));
    // In the order the rows were first written, as without targets.
    for (const key of this.pending.keys()) if (keys.has(key)) consider(this.pending.get(key));
    return found;
  }

  private noteReferences(key: string, index: IndexValues | undefined): void {
    for (const ref of index?.reference ?? []) {
      if (ref.targetType === null || ref.targetId === null) continue;
      const target = `${ref.targetType}/${ref.targetId}`;
      let keys = this.referencing.get(target);
      if (keys === undefined) this.referencing.set(target, (keys = new Set()));
      keys.add(key);
    }
  }

  /** The row as this transaction sees it: undefined when unknown here, null when absent. */
  lookup(resourceType: string, id: string): BufferedRow | null | undefined {
    const key = keyOf(resourceType, id);
    return this.pending.get(key) ?? this.known.get(key);
  }

  remember(resourceType: string, id: string, row: BufferedRow | null): void {
    this.known.set(keyOf(resourceType, id), row);
  }

  /** A new resource (version 1, or any version of a revived id). */
  insert(row: Omit<BufferedRow, 'rid' | 'deleted'>, index: IndexValues): void {
    const key = keyOf(row.resourceType, row.id);
    this.pending.set(key, {
      ...row,
      rid: undefined,
      deleted: false,
      index,
      clearIndex: false,
      writer: this.writer,
    });
    this.noteReferences(key, index);
    this.history.push({ ...row, method: 'POST' });
  }

  /** A new version of a row this transaction knows (read for update, or written before). */
  replace(row: Omit<BufferedRow, 'rid' | 'deleted'>, index: IndexValues): void {
    this.change(row.resourceType, row.id, { ...row, deleted: false, index });
    this.history.push({ ...row, method: 'PUT' });
  }

  markDeleted(resourceType: string, id: string, versionId: number, lastUpdated: string): void {
    this.change(resourceType, id, { versionId, lastUpdated, deleted: true, index: undefined });
    this.history.push({ resourceType, id, versionId, lastUpdated, method: 'DELETE', content: null });
  }

  private change(resourceType: string, id: string, next: Partial<PendingRow>): void {
    const key = keyOf(resourceType, id);
    const current = this.pending.get(key) ?? this.known.get(key);
    if (!current) throw new Error(`${key} is not known to this transaction's write buffer`);
    const clearIndex = current.rid !== undefined && ((current as Partial<PendingRow>).clearIndex ?? true);
    this.pending.set(key, { ...current, index: undefined, ...next, clearIndex, writer: this.writer });
    this.noteReferences(key, next.index);
  }

  /** Writes everything held; afterwards the rows are known with their database ids. */
  async flush(db: Kysely<DatabaseSchema>): Promise<void> {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    const history = this.history;
    this.pending.clear();
    this.referencing.clear();
    this.history = [];
    const created = rows.filter((r) => r.rid === undefined);
    const updated = rows.filter((r) => r.rid !== undefined);
    if (created.length > 0) {
      const inserted = await sql<{ rid: string; resource_type: string; id: string }>`${unnestInsert(
        'resource',
        [
          ['resource_type', 'text'],
          ['id', 'text'],
          ['version_id', 'integer'],
          ['last_updated', 'timestamptz'],
          ['deleted', 'boolean'],
          ['content', 'text'],
        ],
        [
          created.map((r) => r.resourceType),
          created.map((r) => r.id),
          created.map((r) => r.versionId),
          created.map((r) => r.lastUpdated),
          created.map((r) => r.deleted),
          created.map((r) => r.content),
        ],
      )} on conflict (resource_type, id) do nothing returning rid, resource_type, id`.execute(db);
      const rids = new Map(inserted.rows.map((r) => [keyOf(r.resource_type, r.id), String(r.rid)]));
      const conflicts = created.filter((r) => !rids.has(keyOf(r.resourceType, r.id)));
      if (conflicts.length > 0) throw new CreatedMeanwhileError(conflicts);
      for (const r of created) r.rid = rids.get(keyOf(r.resourceType, r.id));
    }
    const parts: RawBuilder<unknown>[] = [];
    if (updated.length > 0) {
      parts.push(sql`update resource set version_id = u.version_id, last_updated = u.last_updated, deleted = u.deleted, content = u.content
        from unnest(${updated.map((r) => r.rid)}::bigint[], ${updated.map((r) => r.versionId)}::integer[],
          ${updated.map((r) => r.lastUpdated)}::timestamptz[], ${updated.map((r) => r.deleted)}::boolean[],
          ${updated.map((r) => r.content)}::text[]) as u(rid, version_id, last_updated, deleted, content)
        where resource.rid = u.rid`);
    }
    // The current version of a resource inserted above is copied from its row rather than
    // sent a second time (the content is most of the bytes of a flush).
    const insertedNow = new Map(created.map((r) => [keyOf(r.resourceType, r.id), r]));
    const copied: { rid: string; method: string }[] = [];
    const sent: PendingHistory[] = [];
    for (const h of history) {
      const row = insertedNow.get(keyOf(h.resourceType, h.id));
      if (row && h.content !== null && h.versionId === row.versionId)
        copied.push({ rid: row.rid!, method: h.method });
      else sent.push(h);
    }
    if (copied.length > 0) {
      parts.push(sql`insert into resource_history (resource_type, id, version_id, last_updated, method, content)
        select r.resource_type, r.id, r.version_id, r.last_updated, u.method, r.content
        from unnest(${copied.map((c) => c.rid)}::bigint[], ${copied.map((c) => c.method)}::text[]) as u(rid, method)
        join resource r on r.rid = u.rid`);
    }
    if (sent.length > 0) {
      parts.push(
        unnestInsert(
          'resource_history',
          [
            ['resource_type', 'text'],
            ['id', 'text'],
            ['version_id', 'integer'],
            ['last_updated', 'timestamptz'],
            ['method', 'text'],
            ['content', 'text'],
          ],
          [
            sent.map((h) => h.resourceType),
            sent.map((h) => h.id),
            sent.map((h) => h.versionId),
            sent.map((h) => h.lastUpdated),
            sent.map((h) => h.method),
            sent.map((h) => h.content),
          ],
        ),
      );
    }
    const cleared = rows.filter((r) => r.clearIndex);
    parts.push(
      ...indexDeleteParts(
        cleared.map((r) => r.rid!),
        cleared.filter((r) => r.index === undefined).map((r) => r.rid!),
      ),
    );
    const indexed: IndexRowsOf[] = rows
      .filter((r) => r.index !== undefined)
      .map((r) => ({ rid: r.rid!, resourceType: r.resourceType, values: r.index! }));
    parts.push(...indexInsertParts(indexed));
    await runAsOneStatement(db, parts);
    for (const r of rows) {
      const { index: _index, clearIndex: _clear, writer: _writer, ...row } = r;
      this.known.set(keyOf(r.resourceType, r.id), row);
    }
  }
}
