import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely';
import { column } from './sql-column';
import type { Filter, SortKey } from '../../fhir/search/search-request';
import type { DatabaseSchema } from '../schema';
import { indexKey } from '../../fhir/search/index-key';
import { and, compileFilter } from './compile-filter';
import { CUSTOM_PLAN_MARK } from '../prepared-statements';
import { mayUseGenericPlan } from './generic-plan';
import { StatementTemplates } from '../statement-templates';
import { searchTypeStorage } from './types';

/** A paging cursor whose keys do not match the search's sort (too many, too few, or a value that would not cast). */
export class CursorMismatchError extends RangeError {
  constructor() {
    super('cursor does not fit the sort');
    this.name = 'CursorMismatchError';
  }
}

/** Leads a statement that must be planned for its values each time (see CUSTOM_PLAN_MARK). */
const customPlan = (custom: boolean) => sql.raw(custom ? CUSTOM_PLAN_MARK : '');

export interface SearchRow {
  rid: string;
  resourceType: string;
  id: string;
  content: string;
  /** Sort-key values of this row, as text, for the keyset cursor. */
  keys: string[];
}

export interface PageQuery {
  resourceTypes: string[];
  filters: Filter[];
  sort: SortKey[];
  limit: number;
  /** Keyset position: rows strictly after (or before, for `previous`) these key values. */
  after?: { keys: string[]; backwards: boolean };
  /**
   * Bytes of resource bodies the page may hold: the database leaves out the bodies of the rows
   * after the budget is spent (the first row always has its body) and the page ends before them.
   */
  maxBytes?: number;
}

interface SortColumn {
  expression: RawBuilder<unknown>;
  descending: boolean;
  cast: string;
}

/**
 * Columns the page is ordered by. A parameter's sort value is a correlated aggregate over
 * its index rows; missing values sort last in both directions (a null flag first, then the
 * value). The id, then rid, break ties so the order is total and paging is exact.
 */
function sortColumns(sort: SortKey[], types: string[]): { columns: SortColumn[]; joins: RawBuilder<unknown>[] } {
  const columns: SortColumn[] = [];
  const joins: RawBuilder<unknown>[] = [];
  for (const key of sort) {
    if (key.paramType === '_id') columns.push({ expression: sql`r.id`, descending: key.descending, cast: 'text' });
    else if (key.paramType === '_lastUpdated') {
      columns.push({ expression: sql`r.last_updated`, descending: key.descending, cast: 'timestamptz' });
    } else {
      // Each type's table and the aggregate that gives each resource one sort value.
      const storage = searchTypeStorage(key.paramType);
      const source = storage?.sort;
      if (storage === undefined || source === undefined) continue;
      // One lateral lookup per row and key, shared by the ORDER BY and the keyset condition.
      const alias = `sort${joins.length}`;
      joins.push(
        sql`cross join lateral (select ${sql.raw(key.descending ? source.descending : source.ascending)} as v from ${sql.table(storage.rows.table)} x where x.rid = r.rid and x.param = ${key.param}) ${sql.table(alias)}`,
      );
      const value = column(`${alias}.v`);
      columns.push({ expression: sql`(${value} is null)`, descending: false, cast: 'boolean' });
      columns.push({ expression: sql`coalesce(${value}, ${sql.raw(source.empty)})`, descending: key.descending, cast: source.cast });
    }
  }
  void types;
  const lastDescending = columns.length > 0 ? columns[columns.length - 1].descending : false;
  columns.push({ expression: sql`r.id`, descending: lastDescending, cast: 'text' });
  columns.push({ expression: sql`r.rid`, descending: lastDescending, cast: 'bigint' });
  return { columns, joins };
}

/** The text forms that each sort column's `::text` yields, for checking cursors. */
const CURSOR_VALUE: Record<string, { test(value: string): boolean }> = {
  text: { test: (value) => !value.includes(String.fromCharCode(0)) },
  boolean: /^(true|false)$/,
  bigint: /^\d{1,18}$/,
  numeric: /^-?(\d{1,40}(\.\d{0,40})?|Infinity)$/,
  timestamptz: /^(-?infinity|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?)$/,
};

/**
 * Keyset condition: the row comes after `values` in the order of `columns` (OR-chain), led by
 * a bound on the first column alone (`c0 <= v0` going down). The bound is implied by the chain
 * but, unlike it, is an index range: without it a deep page read every row before the cursor
 * again (bitmap on resource_type_last_updated), so page 20 of a task queue cost 2.4× page 1.
 */
function keysetCondition(columns: SortColumn[], values: string[], backwards: boolean): RawBuilder<unknown> {
  const alternatives: RawBuilder<unknown>[] = [];
  const comparison = (c: SortColumn, value: string, strict: boolean) => {
    const down = c.descending !== backwards;
    const operator = down ? (strict ? '<' : '<=') : strict ? '>' : '>=';
    return sql`${c.expression} ${sql.raw(operator)} ${value}::${sql.raw(c.cast)}`;
  };
  for (let i = 0; i < columns.length; i++) {
    const equalities = columns.slice(0, i).map((c, j) => sql`${c.expression} = ${values[j]}::${sql.raw(c.cast)}`);
    alternatives.push(and([...equalities, comparison(columns[i], values[i], true)]));
  }
  return and([comparison(columns[0], values[0], false), sql`(${sql.join(alternatives, sql` or `)})`]);
}

export function whereClause(query: Pick<PageQuery, 'resourceTypes' | 'filters'>): RawBuilder<unknown> {
  const types = query.resourceTypes;
  const typeCondition = types.length === 1 ? sql`r.resource_type = ${types[0]}` : sql`r.resource_type = any(${types})`;
  return and([typeCondition, sql`not r.deleted`, ...query.filters.map((f) => compileFilter(f, types, 'r'))]);
}

/**
 * Matches a filtered search collects before ordering them, at most. Up to this many, the page
 * is cut from the matches themselves; beyond, the search runs again as one plain query.
 */
export const COLLECTED_MATCHES_LIMIT = 5_000;

/** A row of the collected page; one row of nulls when the page is empty or (`complete` false) more than the limit match. */
type CollectedRow = Record<string, string | null> & { complete: boolean };

interface PageStatements {
  collected?: RawBuilder<CollectedRow>;
  /** The collected page's parts, for use inside a larger statement (pageWithIncludedQuery). */
  collectedParts?: {
    /** The statement without its plan mark. */
    body: RawBuilder<CollectedRow>;
    /** Whether it must be planned for its values each time. */
    custom: boolean;
    /** `order by` of the page's sort-key columns `s0`, `s1`, ... (as the page's rows name them). */
    keyOrder: RawBuilder<unknown>;
  };
  /** The page as one query, which Postgres plans as it likes (built only when it runs). */
  plain: () => RawBuilder<Record<string, string>>;
  columns: SortColumn[];
}

/**
 * The SQL of one page: the rows after the cursor in sort order, with their sort keys.
 *
 * With filters, the matching rids after the cursor and their keys are collected first (at most
 * COLLECTED_MATCHES_LIMIT + 1; index-only through resource_rid_keys of sql/006), then ordered
 * and cut to the page, and only the page's bodies are read. Left to choose, Postgres walked
 * resource_type_last_updated and tested each Task on the way against the filters: cheap for page
 * 1 of a dense queue, but deep pages re-read every row before the cursor, and the walk grows
 * with the resources lying between the matches (page 1 of one owner's queue took 0.17-0.3 s on
 * a 330k store). Collected, a page costs the matched set (an owner's ~1,400 requested Tasks)
 * whatever the page and the size of the store. When more than the limit match after the cursor (a
 * broad filter), the plain query runs instead, where walking an index in sort order is the right plan.
 */
function pageStatements(query: PageQuery): PageStatements {
  const { columns, joins } = sortColumns(query.sort, query.resourceTypes);
  const backwards = query.after?.backwards ?? false;
  const keyset: RawBuilder<unknown>[] = [];
  if (query.after !== undefined) {
    if (query.after.keys.length !== columns.length) throw new CursorMismatchError();
    // A cursor comes from the client: a value that would not cast is refused before any SQL.
    columns.forEach((c, i) => {
      if (!CURSOR_VALUE[c.cast].test(query.after!.keys[i])) throw new CursorMismatchError();
    });
    keyset.push(keysetCondition(columns, query.after.keys, backwards));
  }
  const direction = (c: SortColumn) => sql.raw(c.descending !== backwards ? 'desc' : 'asc');
  const keys = sql.join(columns.map((c, i) => sql`${c.expression} as ${column(`s${i}`)}`));
  const order = sql.join(columns.map((c) => sql`${c.expression} ${direction(c)}`));
  const pageOrder = sql.join(columns.map((c, i) => sql`${column(`p.s${i}`)} ${direction(c)}`));
  const keyText = sql.join(columns.map((_, i) => sql`(${column(`p.s${i}`)})::text as ${column(`k${i}`)}`));
  const sortJoins = sql.join(joins, sql` `);
  // Within the byte budget: a row's body only while the bodies before it (in page order) fit.
  // octet_length reads the stored size, without reading (or decompressing) the body itself.
  const content =
    query.maxBytes === undefined
      ? sql`r.content`
      : sql`case when coalesce(sum(octet_length(r.content)) over (order by ${pageOrder} rows between unbounded preceding and 1 preceding), 0) < ${query.maxBytes} then r.content end as content`;
  // The page's keys, then its bodies by primary key.
  // Broad searches (no filter, or more matches than are collected) walk an index in sort order
  // or not depending on the values: always planned for them.
  const plain = () => sql<Record<string, string>>`${customPlan(true)}
    select r.rid, r.resource_type, r.id, ${content}, ${keyText}
    from (select r.rid as page_rid, ${keys} from resource r ${sortJoins}
      where ${and([whereClause(query), ...keyset])} order by ${order} limit ${query.limit}) p
    join resource r on r.rid = p.page_rid
    order by ${pageOrder}`;
  if (query.filters.length === 0) return { plain, columns };
  // `matched` is named `r` below so that the sort and keyset expressions read its columns;
  // `offset 0` keeps the planner from folding it back into a walk of an index.
  const pageKeys = sql.join(columns.map((_, i) => column(`p.s${i}`)));
  // Keys that are columns of `resource` are compared while collecting, so a deep page collects
  // only what lies after the cursor; keys of a parameter are compared once they are computed.
  const collectAfterCursor = joins.length === 0;
  const custom = query.after !== undefined || !mayUseGenericPlan(query.filters);
  const collectedBody = sql<CollectedRow>`
    with matched as materialized (
      select r.rid, r.last_updated, r.id from resource r
      where ${and([whereClause(query), ...(collectAfterCursor ? keyset : [])])} limit ${COLLECTED_MATCHES_LIMIT + 1})
    select page.*, c.complete
    from (select count(*) <= ${COLLECTED_MATCHES_LIMIT} as complete from matched) c
    left join (
      select r.rid, r.resource_type, r.id, ${content}, ${pageKeys}, ${keyText}
      from (select * from (select r.rid as page_rid, ${keys} from matched r ${sortJoins}
          where ${and(collectAfterCursor ? [] : keyset)} and (select count(*) from matched) <= ${COLLECTED_MATCHES_LIMIT} offset 0) p
        order by ${pageOrder} limit ${query.limit}) p
      join resource r on r.rid = p.page_rid) page on true
    order by ${sql.join(columns.map((c, i) => sql`${column(`page.s${i}`)} ${direction(c)}`))}`;
  const collected = sql<CollectedRow>`${customPlan(custom)}${collectedBody}`;
  const keyOrder = sql.join(columns.map((c, i) => sql`${column(`s${i}`)} ${direction(c)}`));
  return { collected, collectedParts: { body: collectedBody, custom, keyOrder }, plain, columns };
}

/** The SQL and bound values of one page of a search, compiled but not run (for EXPLAIN). */
export function compileSearchPage(db: Kysely<DatabaseSchema>, query: PageQuery): CompiledQuery {
  const statements = pageStatements(query);
  return (statements.collected ?? statements.plain()).compile(db);
}

/** The collected page of the hottest searches (`DocumentReference?procedure=system|code`), compiled once per shape. */
const oneCodePages = new StatementTemplates();

/**
 * First pages of one type searched by one code (`system|code` or a bare code), sorted by id: the
 * search EHRs and clients repeat all day. Its SQL depends only on the type, the parameter, the
 * page size and whether a system is given.
 */
function oneCodeShape(query: PageQuery): { key: string; values: string[]; withValues: (values: string[]) => PageQuery } | undefined {
  if (query.after !== undefined || query.sort.length > 0 || query.resourceTypes.length !== 1 || query.filters.length !== 1) return undefined;
  const [filter] = query.filters;
  if (filter.kind !== 'token' || filter.modifier !== 'none' || filter.values.length !== 1) return undefined;
  const [{ system, code }] = filter.values;
  if (code === undefined || system === null) return undefined;
  const key = [query.resourceTypes[0], filter.param, query.limit, system === undefined ? 'code' : 'system|code', query.maxBytes ?? ''].join('\u0001');
  // The template is filled with what the SQL compares: the index keys (compileFilter keys a
  // stand-in to itself).
  const values = (system === undefined ? [code] : [system, code]).map((v) => indexKey(v));
  const withValues = (v: string[]): PageQuery => ({
    ...query,
    filters: [{ ...filter, values: [system === undefined ? { system: undefined, code: v[0] } : { system: v[0], code: v[1] }] }],
  });
  return { key, values, withValues };
}

/** The collected page of a one-code search from its shape's template; undefined for other searches (exported for tests). */
export function compiledCollectedPage(db: Kysely<DatabaseSchema>, query: PageQuery): CompiledQuery | undefined {
  const shape = oneCodeShape(query);
  if (shape === undefined) return undefined;
  return oneCodePages.fill(shape.key, shape.values, (standIns) => pageStatements(shape.withValues(standIns)).collected!.compile(db));
}

export async function searchPage(db: Kysely<DatabaseSchema>, query: PageQuery): Promise<SearchRow[]> {
  return (await searchPageWithin(db, query)).rows;
}

/** One page; `cut` when the byte budget (query.maxBytes) ended it before its row limit. */
export async function searchPageWithin(db: Kysely<DatabaseSchema>, query: PageQuery): Promise<{ rows: SearchRow[]; cut: boolean }> {
  const precompiled = compiledCollectedPage(db, query);
  const statements = precompiled === undefined ? pageStatements(query) : undefined;
  const columns = statements?.columns ?? sortColumns(query.sort, query.resourceTypes).columns;
  const plain = () => (statements ?? pageStatements(query)).plain();
  const collected = precompiled ?? statements?.collected?.compile(db);
  let found: Record<string, unknown>[];
  if (collected === undefined) found = (await plain().execute(db)).rows;
  else {
    found = (await db.executeQuery<Record<string, unknown>>(collected)).rows;
    // More matches than are collected: the plain query pages them instead.
    if (found.length === 1 && found[0].complete === false) found = (await plain().execute(db)).rows;
    else found = found.filter((row) => row.rid !== null);
  }
  return pageRows(found, columns.length, query);
}

function pageRows(found: Record<string, unknown>[], keyCount: number, query: PageQuery): { rows: SearchRow[]; cut: boolean } {
  // Rows past the byte budget come without a body: the page ends before the first of them.
  const end = found.findIndex((row) => row.content === null);
  const kept = end < 0 ? found : found.slice(0, end);
  const rows = kept.map((row) => ({
    rid: String(row.rid),
    resourceType: row.resource_type as string,
    id: row.id as string,
    content: row.content as string,
    keys: Array.from({ length: keyCount }, (_, i) => row[`k${i}`] as string),
  }));
  return { rows: query.after?.backwards ? rows.reverse() : rows, cut: end >= 0 };
}

/** An `_include` answered with its page: what it follows, through which parameters, what is local. */
export interface PageInclude extends IncludeSource {
  referenceParams: string[];
  localBase: string;
  /**
   * Only the first this-many rows of the page are followed: a page is read with one row more
   * than is shown, to know whether there is a next one, and that row's references are not included.
   */
  fromFirst: number;
  /** Bounds on what is read of the included resources. */
  budget?: IncludeBudget;
}

/**
 * The collected page and the resources its rows reference (`include`) in one statement: the page
 * as a CTE, its reference rows read by rid, then its rows and the included ones in one result
 * (`included` tells them apart; the page's rows first, in its order). Undefined for a search
 * without filters, whose page is not collected (exported for tests).
 */
export function pageWithIncludedQuery(query: PageQuery, include: PageInclude): RawBuilder<Record<string, unknown>> | undefined {
  const { collectedParts, columns } = pageStatements(query);
  if (collectedParts === undefined) return undefined;
  const { body, custom, keyOrder } = collectedParts;
  const keyColumns = (prefix: string) => columns.flatMap((_, i) => [column(`${prefix}s${i}`), column(`${prefix}k${i}`)]);
  const nulls = columns.flatMap(() => [sql`null`, sql`null`]);
  const shownRids = sql`f.rid in (select p.rid from page p where p.rid is not null order by ${keyOrder} limit ${include.fromFirst})`;
  return sql`${customPlan(custom)}
    with page as materialized (${body}),
    refs as materialized (${pageReferences(shownRids)}),
    included as (${withinBudget(includedFromReferences(include, include.referenceParams, include.localBase), include.budget)})
    select p.rid, p.resource_type, p.id, p.content, ${sql.join(keyColumns('p.'))}, p.complete, false as included from page p
    union all
    select i.rid, i.resource_type, i.id, i.content, ${sql.join(nulls)}, null, true from included i
    order by included, ${keyOrder}`;
}

/** The combined statements of one-code pages with an include, compiled once per shape. */
const oneCodePagesWithIncluded = new StatementTemplates();

/** The page-and-include statement, from its shape's template for a one-code search (exported for tests). */
export function compiledPageWithIncluded(db: Kysely<DatabaseSchema>, query: PageQuery, include: PageInclude): CompiledQuery | undefined {
  const build = (q: PageQuery) => pageWithIncludedQuery(q, include)?.compile(db);
  const shape = oneCodeShape(query);
  if (shape === undefined) return build(query);
  const key = [shape.key, include.sourceType, include.targetType ?? '*', include.referenceParams.join(','), include.localBase, include.fromFirst, include.budget?.maxBytes ?? '', include.budget?.maxRows ?? ''].join('\u0001');
  return oneCodePagesWithIncluded.fill(key, shape.values, (standIns) => build(shape.withValues(standIns))!) ?? build(query);
}

/**
 * A page and its `_include` in one round trip where the page is collected (a filtered search);
 * `included` is undefined when it could not be (no filter, or more matches than are collected):
 * the caller then fetches the includes of `rows` itself.
 */
export async function searchPageAndIncluded(
  db: Kysely<DatabaseSchema>,
  query: PageQuery,
  include: PageInclude,
): Promise<{ rows: SearchRow[]; cut: boolean; included: IncludedRow[] | undefined }> {
  const compiled = include.referenceParams.length > 0 ? compiledPageWithIncluded(db, query, include) : undefined;
  if (compiled === undefined) return { ...(await searchPageWithin(db, query)), included: undefined };
  const found = (await db.executeQuery<Record<string, unknown>>(compiled)).rows;
  const keyCount = sortColumns(query.sort, query.resourceTypes).columns.length;
  if (found.length === 1 && found[0].complete === false) {
    // More matches than are collected: the plain query pages them, and the caller includes.
    return { ...pageRows((await pageStatements(query).plain().execute(db)).rows, keyCount, query), included: undefined };
  }
  const page = found.filter((row) => row.included === false && row.rid !== null);
  const included = found.filter((row) => row.included === true).map(includedRow);
  return { ...pageRows(page, keyCount, query), included };
}

export async function countMatches(db: Kysely<DatabaseSchema>, query: Pick<PageQuery, 'resourceTypes' | 'filters'>): Promise<number> {
  const result = await sql<{ n: string }>`${customPlan(!mayUseGenericPlan(query.filters))}select count(*) as n from resource r where ${whereClause(query)}`.execute(db);
  return Number(result.rows[0].n);
}

export interface IncludedRow {
  rid: string;
  resourceType: string;
  id: string;
  /** Null for a row read past its query's IncludeBudget.maxBytes. */
  content: string | null;
}

/** A reference row that points at this server: relative, or absolute under `base`. */
function localReference(base: string): RawBuilder<unknown> {
  return sql`(f.url is null or f.url like ${base.replace(/[\\%_]/g, (c) => `\\${c}`) + '/%'})`;
}

/** `_include` statements, compiled once per include, page size and base, filled with each page's rids. */
const includedStatements = new StatementTemplates();

/**
 * `_include`: the resources that `rids` (all of type `sourceType`) reference through
 * `referenceParams` — by type/id or by canonical URL — in one query for the whole page
 * (never one query per resource).
 */
export async function fetchIncluded(
  db: Kysely<DatabaseSchema>,
  rids: string[],
  include: IncludeSource,
  referenceParams: string[],
  localBase: string,
  budget?: IncludeBudget,
): Promise<IncludedRow[]> {
  if (rids.length === 0 || referenceParams.length === 0) return [];
  const compiled = compiledIncluded(db, rids, include, referenceParams, localBase, budget);
  return (await db.executeQuery<Record<string, unknown>>(compiled)).rows.map(includedRow);
}

/** An included resource from its row (rid, resource_type, id, content). */
function includedRow(row: Record<string, unknown>): IncludedRow {
  return { rid: String(row.rid), resourceType: row.resource_type as string, id: row.id as string, content: (row.content as string | null) ?? null };
}

/** The `_include` statement for a page's rids, from its template when one can be kept (exported for tests). */
export function compiledIncluded(
  db: Kysely<DatabaseSchema>,
  rids: string[],
  include: IncludeSource,
  referenceParams: string[],
  localBase: string,
  budget?: IncludeBudget,
): CompiledQuery {
  const build = (pageRids: string[]) => includedQuery(pageRids, include, referenceParams, localBase, budget).compile(db);
  const key = [include.sourceType, include.targetType ?? '*', referenceParams.join(','), rids.length, localBase, budget?.maxBytes ?? '', budget?.maxRows ?? ''].join('\u0001');
  return includedStatements.fill(key, rids, build) ?? build(rids);
}

/** The `_include` statement, built for these values (exported for tests). */
export function includedQuery(
  rids: string[],
  include: IncludeSource,
  referenceParams: string[],
  localBase: string,
  budget?: IncludeBudget,
): RawBuilder<unknown> {
  return sql`
    with refs as materialized (${pageReferences(sql`f.rid = any(${rids}::bigint[])`)})
    ${withinBudget(includedFromReferences(include, referenceParams, localBase), budget)}`;
}

/** Bounds on the included resources one query reads: their number, and the bytes of their content. */
export interface IncludeBudget {
  maxRows: number;
  maxBytes: number | undefined;
}

/**
 * Included rows (rid, resource_type, id, content) in rid order, at most `maxRows`, each with its
 * content only while the contents up to it fit in `maxBytes` (a row past it comes with null
 * content: the caller knows the include was cut). octet_length reads the stored size without
 * reading or decompressing the content.
 */
function withinBudget(rows: RawBuilder<unknown>, budget: IncludeBudget | undefined): RawBuilder<unknown> {
  if (budget === undefined) return rows;
  const content =
    budget.maxBytes === undefined
      ? sql`b.content`
      : sql`case when sum(octet_length(b.content)) over (order by b.rid rows between unbounded preceding and current row) <= ${budget.maxBytes} then b.content end as content`;
  return sql`select b.rid, b.resource_type, b.id, ${content} from (select * from (${rows}) a order by a.rid limit ${budget.maxRows}) b`;
}

/** What an `_include` follows: the references of `sourceType` resources, to `targetType` ones if given. */
export interface IncludeSource {
  sourceType: string;
  targetType: string | undefined;
}

/**
 * The reference rows of the page (`pageRid` says which rids), read by rid alone
 * (idx_reference_rid): given the type and parameter too, Postgres preferred idx_reference_url
 * (now idx_reference_url_present), whose rid is its last key, and read every depends-on row of
 * every PlanDefinition (2.7 ms on a 1M store; 0.2 ms now).
 */
function pageReferences(pageRid: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`select f.resource_type, f.param, f.target_type, f.target_id, f.url from idx_reference f where ${pageRid}`;
}

/**
 * The resources that the rows of `refs` (pageReferences) point at through `referenceParams`, by
 * type/id or by canonical URL. One IN over a UNION: an OR of two IN subqueries cannot be driven
 * by an index and made Postgres scan all of `resource` (9 ms at 10k, 38 ms at 100k); this stays
 * ~0.3 ms at any size.
 */
function includedFromReferences(include: IncludeSource, referenceParams: string[], localBase: string): RawBuilder<unknown> {
  const targetFilter = include.targetType !== undefined ? sql`and t.resource_type = ${include.targetType}` : sql``;
  return sql`select t.rid, t.resource_type, t.id, t.content from resource t
    where not t.deleted ${targetFilter} and t.rid in (
      select r2.rid from refs f
        join resource r2 on r2.resource_type = f.target_type and r2.id = f.target_id
      where f.resource_type = ${include.sourceType} and f.param = any(${referenceParams})
        and f.target_id is not null and ${localReference(localBase)}
      union
      select u.rid from refs f join idx_uri u on u.value = f.url
      where u.param = 'url' and f.resource_type = ${include.sourceType}
        and f.param = any(${referenceParams}) and f.url is not null)`;
}

/**
 * `_revinclude`: resources that reference any of `rids`. `sourceType` and `referenceParams`
 * undefined mean any type and any reference parameter (`_revinclude=*`).
 */
export async function fetchRevIncluded(
  db: Kysely<DatabaseSchema>,
  rids: string[],
  sourceType: string | undefined,
  referenceParams: string[] | undefined,
  localBase: string,
  budget?: IncludeBudget,
): Promise<IncludedRow[]> {
  if (rids.length === 0 || referenceParams?.length === 0) return [];
  const typeFilter = (name: string) => (sourceType !== undefined ? sql`and ${column(name)} = ${sourceType}` : sql``);
  const paramFilter = referenceParams !== undefined ? sql`and f.param = any(${referenceParams})` : sql``;
  const referring = sql`select s.rid, s.resource_type, s.id, s.content from resource s
    where not s.deleted ${typeFilter('s.resource_type')} and s.rid in (
      select f.rid from idx_reference f join page on f.target_type = page.resource_type and f.target_id = page.id
      where true ${typeFilter('f.resource_type')} ${paramFilter} and ${localReference(localBase)}
      union
      select f.rid from idx_reference f
      where true ${typeFilter('f.resource_type')} ${paramFilter} and f.url in (select value from page_urls))`;
  const result = await sql<{ rid: string; resource_type: string; id: string; content: string }>`
    with page as (select p.rid, p.resource_type, p.id from resource p where p.rid = any(${rids}::bigint[])),
    page_urls as (select u.value from idx_uri u where u.param = 'url' and u.rid = any(${rids}::bigint[]))
    ${withinBudget(referring, budget)}`.execute(db);
  return result.rows.map(includedRow);
}
