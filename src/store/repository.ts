import type { Resource } from 'fhir/r4';
import type { Kysely } from 'kysely';
import type { Filter, ReferenceFilter } from '../fhir/search/search-request';
import { matchesReferenceFilter } from '../fhir/search/types/reference';
import { typesReadBy } from '../fhir/search/types-read';
import type { IndexValues } from '../fhir/search/index-values';
import { SYSTEM_ACCESS, type AccessRules, type Permission } from './access-rules';
import { rowMeets, selectIds, selectMatchingIds, selectTypedIds } from './access-queries';
import type { Condition } from './access-sql';
import { notifyChange } from './change-notifications';
import { addClientStorage } from './client-storage';
import {
  ResourceStore,
  type HistoryQuery,
  type HistoryRow,
  type NewVersion,
  type StoredResource,
} from './resource-store';
import type { Database } from './database';
import { databaseHandle } from './database-handle';
import {
  countMatches,
  fetchIncluded,
  fetchRevIncluded,
  searchPage,
  searchPageAndIncluded,
  searchPageWithin,
  type IncludeBudget,
  type IncludedRow,
  type IncludeSource,
  type PageInclude,
  type PageQuery,
  type SearchRow,
} from './search/search-query';

export {
  DuplicateResourceError,
  type HistoryQuery,
  type HistoryRow,
  type NewVersion,
  type StoredResource,
} from './resource-store';
export type { IncludeBudget, IncludedRow, PageInclude, PageQuery, SearchRow } from './search/search-query';
export { CursorMismatchError } from './search/search-query';
export { CreatedMeanwhileError } from './write-buffer';

type SearchPurpose = 'search' | 'criteria';

/** Checks that many writes of one transaction add to and that run once before it commits (see collectBeforeCommit). */
const collected = new WeakMap<object, Map<string, unknown[]>>();

/**
 * Every read and write of resources goes through a Repository, built with the access policy of
 * whoever it works for (store/access-rules.ts): the server's own work under SYSTEM_ACCESS, an
 * authorized request under the policy of its token. Each method asks the policy first: reads
 * outside the grant read as absent, searches carry the grant's filters in their SQL, found
 * rows are checked again, writes outside it are refused. The database handle stays inside
 * src/store/. `system()` is the same connection under the server's authority, for the checks
 * themselves and for the server's own work within a request (write hooks, the audit trail,
 * terminology definitions).
 */
export class Repository {
  /** Confined filters of searches, by the filters they confine (then types and purpose): a page and its count share one confinement. */
  private readonly confinements = new WeakMap<Filter[], Map<string, Promise<Filter[]>>>();

  private constructor(
    private readonly store: ResourceStore,
    readonly rules: AccessRules,
  ) {}

  /** The server's repository on a database (its connection pool). */
  static open(database: Database): Repository {
    return new Repository(new ResourceStore(databaseHandle(database)), SYSTEM_ACCESS);
  }

  /** The same connection (and transaction) under another policy. */
  withRules(rules: AccessRules): Repository {
    return new Repository(this.store, rules);
  }

  /** The same connection (and transaction) under the server's own authority. */
  system(): Repository {
    return this.rules.unrestricted ? this : new Repository(this.store, SYSTEM_ACCESS);
  }

  get isTransaction(): boolean {
    return this.store.isTransaction;
  }

  /** A repository bound to one transaction, under the same policy. */
  async transaction<T>(work: (repository: Repository) => Promise<T>): Promise<T> {
    if (this.store.isTransaction) return work(this);
    return this.store.transaction((store) => work(new Repository(store, this.rules)));
  }

  /**
   * A transaction of many writes (a transaction Bundle, a library load), under the same policy:
   * its writes are held back and written together, a few multi-row statements at a time,
   * whenever a read could see them and at the end. Every read through the repository sees the
   * transaction's own writes as if each had been written at once (docs/decisions/write-buffer.md).
   * Inside a transaction already, `work` runs in it as it is.
   */
  async transactionOfManyWrites<T>(work: (repository: Repository) => Promise<T>): Promise<T> {
    if (this.store.isTransaction) return work(this);
    return this.store.transaction(async (store) => {
      const holding = store.holdingWritesBack();
      const result = await work(new Repository(holding, this.rules));
      await holding.flush();
      return result;
    });
  }

  /**
   * Who writes now (a Bundle entry's index), in a transaction of many writes: an error found
   * when its held writes are written (CreatedMeanwhileError) names the writer of each row.
   */
  get writer(): number | undefined {
    return this.store.writer;
  }

  set writer(writer: number | undefined) {
    this.store.writer = writer;
  }

  /** Writes taken through this repository's store so far (whether some work wrote anything). */
  writeCount(): number {
    return this.store.writeCount();
  }

  /**
   * A lookup of resources of one type (`read`, through this repository), kept for the rest of a
   * transaction of many writes while it writes no resource of that type: a transaction Bundle
   * of many responses looks up the same Questionnaire for each. Elsewhere it runs every time.
   */
  async readOnce<T>(key: string, resourceType: string, read: () => Promise<T>): Promise<T> {
    return this.store.readOnce(key, resourceType, read);
  }

  /** Reads and locks rows ahead of the reads for update of a buffered transaction (an optimisation only). */
  async lockForUpdate(keys: { resourceType: string; id: string }[]): Promise<void> {
    // Under a restricted policy every read for update is checked one by one instead.
    if (this.rules.unrestricted) await this.store.lockForUpdate(keys);
  }

  afterCommit(effect: () => void): void {
    this.store.afterCommit(effect);
  }

  async beforeCommit(check: (repository: Repository) => Promise<void>): Promise<void> {
    await this.store.beforeCommit((store) => check(new Repository(store, this.rules)));
  }

  /**
   * Adds items to the check named `name` of this transaction, which runs once, on all of them,
   * before the commit (outside a transaction, at once on these).
   */
  async collectBeforeCommit<T>(
    name: string,
    items: T[],
    check: (items: T[], repository: Repository) => Promise<void>,
  ): Promise<void> {
    const key = this.store.db;
    const lists = collected.get(key) ?? new Map<string, unknown[]>();
    const list = lists.get(name) as T[] | undefined;
    if (list && this.store.isTransaction) {
      list.push(...items);
      return;
    }
    const all = [...items];
    if (this.store.isTransaction) {
      lists.set(name, all);
      collected.set(key, lists);
    }
    await this.beforeCommit(async (committing) => {
      lists.delete(name);
      await check(all, committing);
    });
  }

  /** The keys that name no live resource (an existence check for referential integrity: no content is returned). */
  async missingResources<K extends { resourceType: string; id: string }>(keys: readonly K[]): Promise<K[]> {
    return this.store.missingResources(keys);
  }

  /**
   * The keys a check before the commit must look at again: those missing now, or, in a
   * transaction of many writes, all of them unchecked, so that the check costs one statement at
   * the commit rather than one per write.
   */
  async keysToCheckAtCommit<K extends { resourceType: string; id: string }>(
    keys: readonly K[],
  ): Promise<K[]> {
    return this.store.holdsWritesBack ? [...keys] : this.store.missingResources(keys);
  }

  /** Adds bytes to a client's stored total in this transaction (the storage cap); the new total. No resource data. */
  async addToClientStorage(client: string, bytes: number): Promise<number> {
    return addClientStorage(this.store.db, client, bytes);
  }

  /** NOTIFY on the connection, delivered when its transaction commits. */
  async notify(channel: string): Promise<void> {
    await notifyChange(this.store.db as unknown as Kysely<unknown>, channel);
  }

  // ---- reads ----

  /** A resource by type and id; one outside the grant reads as absent. */
  async read(resourceType: string, id: string): Promise<StoredResource | undefined> {
    if (this.rules.unrestricted) return this.store.read(resourceType, id);
    this.rules.requireType(resourceType, 'r', 'Read');
    const stored = await this.store.read(resourceType, id);
    if (!stored) return stored;
    const resource = JSON.parse(stored.content) as Resource;
    if (!(await this.rules.meets(resource, 'r', this.system()))) return undefined;
    if (!stored.deleted) this.rules.touch(resource);
    return stored;
  }

  /**
   * The current row of a resource about to be updated or deleted, locked: refused (403) when it
   * is outside what the update or delete may reach.
   */
  async readForUpdate(
    resourceType: string,
    id: string,
    purpose: 'update' | 'delete' = 'update',
  ): Promise<StoredResource | undefined> {
    if (this.rules.unrestricted) return this.store.read(resourceType, id, true);
    const [permission, what]: [Permission, string] = purpose === 'delete' ? ['d', 'Delete'] : ['u', 'Update'];
    this.rules.requireType(resourceType, permission, what);
    const current = await this.store.read(resourceType, id, true);
    if (current && !(purpose === 'delete' && current.deleted)) {
      if (!(await this.rules.meets(JSON.parse(current.content) as Resource, permission, this.system()))) {
        throw this.rules.denial(`${what}: ${resourceType}/${id} is outside what the token's scopes allow`);
      }
    }
    return current;
  }

  /** Live resources by type and id; those outside the grant are left out. */
  async readMany(keys: { resourceType: string; id: string }[]): Promise<StoredResource[]> {
    if (this.rules.unrestricted) return this.store.readMany(keys);
    const rows = await this.store.readMany(keys.filter((k) => this.rules.reaches(k.resourceType, 'r')));
    const out: StoredResource[] = [];
    for (const row of rows) {
      const resource = JSON.parse(row.content) as Resource;
      if (await this.rules.meets(resource, 'r', this.system())) {
        out.push(row);
        this.rules.touch(resource);
      }
    }
    return out;
  }

  async readVersion(resourceType: string, id: string, versionId: number): Promise<HistoryRow | undefined> {
    if (this.rules.unrestricted) return this.store.readVersion(resourceType, id, versionId);
    this.rules.requireType(resourceType, 'r', 'Read');
    if (this.rules.reachesAll(resourceType, 'r')) return this.store.readVersion(resourceType, id, versionId);
    const keep = await this.rules.historyFilter({ resourceType, id }, this.system());
    const row = await this.store.readVersion(resourceType, id, versionId);
    return row !== undefined && keep !== undefined && !keep(row) ? undefined : row;
  }

  async history(query: HistoryQuery): Promise<HistoryRow[]> {
    const keep = this.rules.unrestricted ? undefined : await this.rules.historyFilter(query, this.system());
    if (keep === undefined) return this.store.history(query);
    // Left-out versions must not shorten the page: read on until it is full or history ends.
    const out: HistoryRow[] = [];
    let before = query.before;
    for (;;) {
      const rows = await this.store.history({ ...query, before });
      for (const row of rows) {
        if (keep(row)) out.push(row);
        // A row past the byte budget ends the page (history-service.ts).
        if (out.length >= query.count || row.pastBudget === true) return out;
      }
      if (rows.length < query.count) return out;
      const last = rows[rows.length - 1];
      before = {
        lastUpdated: last.lastUpdated,
        resourceType: last.resourceType,
        id: last.id,
        versionId: last.versionId,
      };
    }
  }

  async countHistory(query: Omit<HistoryQuery, 'count' | 'before'>): Promise<number> {
    const keep = this.rules.unrestricted ? undefined : await this.rules.historyFilter(query, this.system());
    if (keep === undefined) return this.store.countHistory(query);
    // Only instance history is filtered, and one resource's versions are few: count what is shown.
    return (await this.store.history({ ...query, count: 100_000 })).filter(keep).length;
  }

  /** (rid, content) of live resources in rid order (reindexing): only for a policy that reads every resource of the types. */
  async livePage(resourceType: string | undefined, afterRid: string, limit: number) {
    this.#requireEveryResource(resourceType, 'Reading every resource');
    return this.store.livePage(resourceType, afterRid, limit);
  }

  async countLive(resourceType: string | undefined): Promise<number> {
    this.#requireEveryResource(resourceType, 'Counting every resource');
    return this.store.countLive(resourceType);
  }

  #requireEveryResource(resourceType: string | undefined, what: string): void {
    if (this.rules.unrestricted) return;
    if (resourceType === undefined)
      throw this.rules.denial(`${what} of every type needs the server's authority`);
    this.rules.requireEvery(resourceType, 'r', what);
  }

  // ---- searches: each statement carries the grant's filters ----

  #confined<Q extends Pick<PageQuery, 'resourceTypes' | 'filters'>>(
    query: Q,
    purpose: SearchPurpose,
  ): Promise<Q> | Q {
    if (this.rules.unrestricted) return query;
    let byKey = this.confinements.get(query.filters);
    if (!byKey) {
      byKey = new Map();
      this.confinements.set(query.filters, byKey);
    }
    const key = `${purpose} ${query.resourceTypes.join(',')}`;
    let filters = byKey.get(key);
    if (!filters) {
      filters = this.rules.confine(query.resourceTypes, query.filters, purpose, this.system());
      byKey.set(key, filters);
    }
    return filters.then((f) => ({ ...query, filters: f }));
  }

  /**
   * The query under the grant, after this transaction's held writes that it could see are
   * written (a transaction of many writes: see transactionOfManyWrites).
   */
  async #readable<Q extends Pick<PageQuery, 'resourceTypes' | 'filters'>>(
    query: Q,
    purpose: SearchPurpose,
  ): Promise<Q> {
    const confined = await this.#confined(query, purpose);
    await this.store.flushBeforeReading(typesReadBy(confined));
    return confined;
  }

  /** One page of matches; `criteria` for the search of a conditional interaction. */
  async searchPage(query: PageQuery, purpose: SearchPurpose = 'search'): Promise<SearchRow[]> {
    const rows = await searchPage(this.store.db, await this.#readable(query, purpose));
    // The rows of conditional criteria are not returned, only acted on by a write that checks itself.
    return purpose === 'criteria' ? rows : this.rules.keepFound(rows, 'match', this.system());
  }

  async searchPageWithin(query: PageQuery): Promise<{ rows: SearchRow[]; cut: boolean }> {
    const { rows, cut } = await searchPageWithin(this.store.db, await this.#readable(query, 'search'));
    return { rows: await this.rules.keepFound(rows, 'match', this.system()), cut };
  }

  async searchPageAndIncluded(
    query: PageQuery,
    include: PageInclude,
  ): Promise<{ rows: SearchRow[]; cut: boolean; included: IncludedRow[] | undefined }> {
    const confined = await this.#confined(query, 'search');
    await this.store.flush(); // the included resources may be of any type
    const found = await searchPageAndIncluded(this.store.db, confined, include);
    return {
      rows: await this.rules.keepFound(found.rows, 'match', this.system()),
      cut: found.cut,
      included: found.included && (await this.rules.keepFound(found.included, 'include', this.system())),
    };
  }

  async countMatches(query: Pick<PageQuery, 'resourceTypes' | 'filters'>): Promise<number> {
    return countMatches(this.store.db, await this.#readable(query, 'search'));
  }

  async fetchIncluded(
    rids: string[],
    include: IncludeSource,
    referenceParams: string[],
    localBase: string,
    budget?: IncludeBudget,
  ): Promise<IncludedRow[]> {
    await this.store.flush();
    const rows = await fetchIncluded(this.store.db, rids, include, referenceParams, localBase, budget);
    return this.rules.keepFound(rows, 'include', this.system());
  }

  async fetchRevIncluded(
    rids: string[],
    sourceType: string | undefined,
    referenceParams: string[] | undefined,
    localBase: string,
    budget?: IncludeBudget,
  ): Promise<IncludedRow[]> {
    await this.store.flush();
    const rows = await fetchRevIncluded(this.store.db, rids, sourceType, referenceParams, localBase, budget);
    return this.rules.keepFound(rows, 'include', this.system());
  }

  /**
   * The content of every live resource of a type that one reference filter matches (the Tasks
   * of a patient), all pages, within the grant: what the search finds, without writing the
   * writes a transaction of many writes holds. The rows it holds are matched on their new index
   * values in memory, the others in the database; a write hook that looks up a few related
   * resources after each write of a Bundle keeps the Bundle's writes together this way (writing
   * them before each lookup cost half of a bulk load's time).
   */
  async findReferencing(resourceType: string, filter: ReferenceFilter): Promise<string[]> {
    if (!this.rules.unrestricted) this.rules.requireType(resourceType, 's', 'Search');
    const found: string[] = [];
    const pageSize = 200;
    let after: PageQuery['after'];
    do {
      const query = await this.#confined(
        { resourceTypes: [resourceType], filters: [filter], sort: [], limit: pageSize + 1, after },
        'search',
      );
      const rows = await this.rules.keepFound(await searchPage(this.store.db, query), 'match', this.system());
      const page = rows.slice(0, pageSize);
      for (const row of page) if (!this.store.holdsChangeOf(resourceType, row.id)) found.push(row.content);
      after = rows.length > pageSize ? { keys: page[page.length - 1].keys, backwards: false } : undefined;
    } while (after !== undefined);
    // Only the held rows that refer to the target are tested (when every value names one).
    const targets = filter.values.every((v) => v.targetType !== undefined && v.id !== undefined)
      ? filter.values.map((v) => `${v.targetType}/${v.id}`)
      : undefined;
    const held = this.store.heldMatching(
      resourceType,
      (index) => matchesReferenceFilter(index.reference, filter),
      targets,
    );
    for (const row of this.rules.unrestricted
      ? held
      : await this.rules.keepFound(held, 'match', this.system()))
      found.push(row.content);
    return found;
  }

  // ---- writes ----

  /** Inserts version 1 of a new resource. Throws DuplicateResourceError if the id is taken. */
  async insert(version: NewVersion): Promise<string> {
    await this.#assertWritable(version, this.#creating(version));
    return this.store.insert(version);
  }

  /** Many new resources at once (bulk load). */
  async insertMany(versions: NewVersion[]): Promise<void> {
    for (const version of versions) await this.#assertWritable(version, this.#creating(version));
    await this.store.insertMany(versions);
  }

  /** Replaces the current version of an existing row (also revives a deleted one). */
  async replace(rid: string, version: NewVersion): Promise<void> {
    if (!this.rules.unrestricted) {
      await this.readForUpdate(version.resourceType, version.id, 'update');
      await this.#assertWritable(version, 'u');
    }
    await this.store.replace(rid, version);
  }

  /** Replaces only the index rows (reindex). */
  async reindex(rid: string, resourceType: string, index: IndexValues): Promise<void> {
    if (!this.rules.unrestricted) this.rules.requireEvery(resourceType, 'u', 'Reindexing');
    await this.store.reindex(rid, resourceType, index);
  }

  async markDeleted(
    rid: string,
    resourceType: string,
    id: string,
    versionId: number,
    lastUpdated: string,
  ): Promise<void> {
    if (!this.rules.unrestricted) await this.readForUpdate(resourceType, id, 'delete');
    await this.store.markDeleted(rid, resourceType, id, versionId, lastUpdated);
  }

  /** A new resource is written by a create, or by an update that creates (`c`, else `u`). */
  #creating(version: NewVersion): Permission {
    return this.rules.reaches(version.resourceType, 'c') ? 'c' : 'u';
  }

  async #assertWritable(version: NewVersion, permission: Permission): Promise<void> {
    if (this.rules.unrestricted) return;
    this.rules.requireType(version.resourceType, permission, permission === 'c' ? 'Create' : 'Update');
    await this.rules.assertWritable(JSON.parse(version.content) as Resource, permission, this.system());
  }

  // ---- the statements of the access checks (server's authority only) ----

  /** Under the server's authority only; the statements read the transaction's own writes. */
  async #assertSystem(): Promise<void> {
    if (!this.rules.unrestricted)
      throw this.rules.denial("Access checks run under the server's authority only");
    await this.store.flush();
  }

  /** Ids of the live resources of a type meeting a condition; at most `limit` (+1 to detect overflow). */
  async idsMeeting(resourceType: string, condition: Condition, limit: number): Promise<string[]> {
    await this.#assertSystem();
    return selectIds(this.store.db, resourceType, condition, limit);
  }

  /** Which of `ids` (of one type) meet a condition. */
  async idsAmongMeeting(resourceType: string, ids: string[], condition: Condition): Promise<Set<string>> {
    await this.#assertSystem();
    return selectMatchingIds(this.store.db, resourceType, ids, condition);
  }

  /** Type and id of live resources of several types meeting a filter and a per-type condition. */
  async typedIdsMeeting(
    types: string[],
    filter: Filter,
    conditionOf: (resourceType: string) => Condition,
    limit: number,
  ) {
    await this.#assertSystem();
    return selectTypedIds(this.store.db, types, filter, conditionOf, limit);
  }

  /** The stored row of a resource meets a condition. */
  async rowMeets(resourceType: string, id: string, condition: Condition): Promise<boolean> {
    await this.#assertSystem();
    return rowMeets(this.store.db, resourceType, id, condition);
  }
}
