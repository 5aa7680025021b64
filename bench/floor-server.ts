/**
 * The floor: the least a server can do to answer the benchmark's queries from our schema.
 * Plain node:http, one pg pool, named prepared statements, the same index tables and the same
 * lookups as the server (`rid in (select rid from idx_... where resource_type, param, value)`),
 * the stored JSON text spliced into the response unparsed. No framework, no validation, no
 * logging, no general parser: it understands exactly the parameters the benchmark sends
 * and answers 400 to anything else.
 *
 * What it still does, because the server must too: keyset paging with a next link, `_count`,
 * `_summary=count`, `_include` (page and includes in one round trip), `not deleted`.
 *
 * Run: DATABASE_URL=postgres://... PORT=8090 [DATABASE_POOL_SIZE=10] npx tsx bench/floor-server.ts
 */
import http from 'node:http';
import pg from 'pg';

interface Query {
  text: string;
  values: unknown[];
}

const statementNames = new Map<string, string>();

/**
 * Same SQL text -> same prepared statement name, so Postgres parses it once per connection and,
 * after five runs, may keep a generic plan. As the server (src/store/prepared-statements.ts):
 * only statements whose every plan is cheap are named (read by id, a page or count with one
 * token or reference equality); the rest run unnamed, planned for their values each time.
 */
function prepared(query: Query, named = true): pg.QueryConfig {
  if (!named) return { text: query.text, values: query.values };
  let name = statementNames.get(query.text);
  if (name === undefined) {
    name = `floor_${statementNames.size}`;
    statementNames.set(query.text, name);
  }
  return { name, text: query.text, values: query.values };
}

class BadRequest extends Error {}

/** Collects bound values and hands out their placeholders. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function tokenCondition(p: Params, type: string, param: string, value: string): string {
  const bar = value.indexOf('|');
  const match =
    bar < 0
      ? `t.code = ${p.add(value)}`
      : `t.system = ${p.add(value.slice(0, bar))} and t.code = ${p.add(value.slice(bar + 1))}`;
  return `r.rid in (select t.rid from idx_token t where t.resource_type = ${p.add(type)} and t.param = ${p.add(param)} and ${match})`;
}

function referenceCondition(p: Params, type: string, param: string, value: string): string {
  const [targetType, targetId] = value.split('/');
  if (targetId === undefined) throw new BadRequest(`reference must be Type/id: ${value}`);
  return `r.rid in (select f.rid from idx_reference f where f.resource_type = ${p.add(type)} and f.param = ${p.add(param)} and f.target_id = ${p.add(targetId)} and f.target_type = ${p.add(targetType)})`;
}

/** The parameters the benchmark uses, per type and kind. */
const TOKEN_PARAMS = new Set(['procedure', 'type', 'status']);
const REFERENCE_PARAMS = new Set(['owner']);

interface Search {
  type: string;
  where: string;
  /** Keyset condition of a `_cursor`, empty without one. */
  keyset: string;
  params: Params;
  count: number;
  sortLastUpdated: boolean;
  cursor: string[] | undefined;
  summaryCount: boolean;
  include: { sourceType: string; param: string } | undefined;
  /** Token and reference conditions, and full-text ones (which count against a generic plan). */
  filters: number;
  fullText: boolean;
  /** The query string without _cursor, for the next link. */
  baseQuery: URLSearchParams;
}

function parseSearch(type: string, query: URLSearchParams): Search {
  const p = new Params();
  const conditions = [`r.resource_type = ${p.add(type)}`, 'not r.deleted'];
  const search: Search = {
    type,
    where: '',
    keyset: '',
    params: p,
    count: 20,
    sortLastUpdated: false,
    cursor: undefined,
    summaryCount: false,
    include: undefined,
    filters: 0,
    fullText: false,
    baseQuery: new URLSearchParams(),
  };
  for (const [name, value] of query) {
    if (name !== '_cursor') search.baseQuery.append(name, value);
    if (TOKEN_PARAMS.has(name)) {
      conditions.push(tokenCondition(p, type, name, value));
      search.filters++;
    } else if (REFERENCE_PARAMS.has(name)) {
      conditions.push(referenceCondition(p, type, name, value));
      search.filters++;
    } else if (name === '_content') {
      search.filters++;
      search.fullText = true;
      conditions.push(
        `r.rid in (select x.rid from idx_fulltext x where x.resource_type = ${p.add(type)} and x.content @@ plainto_tsquery('english', ${p.add(value)}))`,
      );
    } else if (name === '_count') search.count = Number(value);
    else if (name === '_sort') {
      if (value !== '-_lastUpdated') throw new BadRequest(`_sort=${value} is not supported by the floor`);
      search.sortLastUpdated = true;
    } else if (name === '_summary' && value === 'count') search.summaryCount = true;
    else if (name === '_include') {
      const [sourceType, param] = value.split(':');
      search.include = { sourceType, param };
    } else if (name === '_cursor')
      search.cursor = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as string[];
    else throw new BadRequest(`parameter ${name} is not supported by the floor`);
  }
  search.where = conditions.join(' and ');
  if (search.cursor !== undefined) {
    // The keyset condition written as the server writes it: a bound on the first key (an index
    // range) and the OR chain. The row-value form `(last_updated, id, rid) < (...)` reads better
    // but, deep in a queue, led the planner to a nested loop over the owner's whole index range
    // for every row (250 ms instead of 14 ms).
    const [a, b, c] = search.cursor.map((v) => p.add(v));
    search.keyset = search.sortLastUpdated
      ? `r.last_updated <= ${a}::timestamptz and (r.last_updated < ${a}::timestamptz or (r.last_updated = ${a}::timestamptz and r.id < ${b}) or (r.last_updated = ${a}::timestamptz and r.id = ${b} and r.rid < ${c}::bigint))`
      : `r.id >= ${a} and (r.id > ${a} or (r.id = ${a} and r.rid > ${b}::bigint))`;
  }
  return search;
}

/** As the server (src/store/search/search-query.ts): filtered searches collect this many matches at most before ordering them. */
const COLLECTED_MATCHES_LIMIT = 5_000;

/**
 * The page (and its includes) as the server reads it: with filters and `collected`, the
 * matching rids after the cursor with their keys (at most the limit + 1), ordered and cut to the page, then the
 * page's bodies, plus a `complete` column (false, on a single row of nulls, when more match: the
 * caller then asks again with `collected` false, the plain query).
 */
function pageQuery(search: Search, collected: boolean): Query {
  const p = search.params;
  const order = search.sortLastUpdated ? 'last_updated desc, id desc, rid desc' : 'id, rid';
  const prefixed = (alias: string, rid = 'rid') =>
    order.replace(/(\w+)/g, (w) => (w === 'desc' ? w : `${alias}.${w === 'rid' ? rid : w}`));
  const keys = search.sortLastUpdated
    ? `json_build_array(r.last_updated::text, r.id, r.rid::text)::text`
    : `json_build_array(r.id, r.rid::text)::text`;
  const limit = p.add(search.count + 1);
  const keyset = search.keyset === '' ? 'true' : search.keyset;
  const cap = collected ? p.add(COLLECTED_MATCHES_LIMIT) : '';
  const keyRows = collected
    ? `with matched as materialized (select r.rid, r.last_updated, r.id from resource r where ${search.where} and ${keyset} limit ${cap}::int + 1),
    keys as (select * from (select r.rid as page_rid, r.last_updated, r.id from matched r
               where (select count(*) from matched) <= ${cap}::int offset 0) c order by ${prefixed('c', 'page_rid')} limit ${limit})`
    : `with keys as (select r.rid as page_rid, r.last_updated, r.id from resource r where ${search.where} and ${keyset}
               order by ${prefixed('r')} limit ${limit})`;
  const page = `select r.rid, r.resource_type, r.id, r.content, r.last_updated, ${keys} as keys
    from keys k join resource r on r.rid = k.page_rid`;
  // The page and the resources its references name, in one round trip: by canonical url
  // through idx_uri, or by type and id for relative references.
  const body =
    search.include === undefined
      ? `select 0 as included, * from (${page}) page`
      : `select 0 as included, rid, resource_type, id, content, last_updated, keys from page
    union all
    select 1, t.rid, t.resource_type, t.id, t.content, t.last_updated, null from resource t
    where not t.deleted and t.rid in (
      select u.rid from idx_uri u where u.param = 'url' and u.value in (select url from refs where url is not null)
      union
      select t2.rid from resource t2 join refs on t2.resource_type = refs.target_type and t2.id = refs.target_id where refs.url is null)`;
  const ctes =
    search.include === undefined
      ? keyRows
      : `${keyRows}, page as (${page}),
    refs as (select f.target_type, f.target_id, f.url from idx_reference f
             where f.rid in (select rid from page order by ${order} limit ${p.add(search.count)})
               and f.resource_type = ${p.add(search.include.sourceType)} and f.param = ${p.add(search.include.param)})`;
  const text = collected
    ? `${ctes} select x.*, c.complete from (select count(*) <= ${cap}::int as complete from matched) c
        left join (${body}) x on true order by x.included, ${prefixed('x')}`
    : `${ctes} select x.*, true as complete from (${body}) x order by x.included, ${prefixed('x')}`;
  return { text, values: p.values };
}

interface Row {
  /** False (on a row of nulls) when more matched than are collected. */
  complete: boolean;
  included: number;
  rid: string;
  resource_type: string;
  id: string;
  content: string;
  keys: string | null;
}

async function handleSearch(
  pool: pg.Pool,
  base: string,
  type: string,
  query: URLSearchParams,
): Promise<string> {
  const search = parseSearch(type, query);
  const genericPlan = search.filters === 1 && !search.fullText && search.cursor === undefined;
  const self = `${base}/${type}?${query.toString()}`;
  if (search.summaryCount) {
    const result = await pool.query<{ n: string }>(
      prepared({
        text: `select count(*) as n from resource r where ${search.where}`,
        values: search.params.values,
      }, genericPlan),
    );
    return `{"resourceType":"Bundle","type":"searchset","total":${Number(result.rows[0].n)},"link":[{"relation":"self","url":${JSON.stringify(self)}}]}`;
  }
  const collected = search.where.includes(' in (select ');
  let result = await pool.query<Row>(prepared(pageQuery(search, collected), collected && genericPlan));
  if (result.rows.length === 1 && result.rows[0].complete === false) {
    result = await pool.query<Row>(prepared(pageQuery(parseSearch(type, query), false), false));
  }
  const matches = result.rows.filter((r) => r.rid !== null && Number(r.included) === 0);
  const included = result.rows.filter((r) => Number(r.included) === 1);
  const hasMore = matches.length > search.count;
  const page = hasMore ? matches.slice(0, search.count) : matches;
  const links = [`{"relation":"self","url":${JSON.stringify(self)}}`];
  if (hasMore) {
    const last = JSON.parse(page[page.length - 1].keys ?? '[]') as string[];
    const next = new URLSearchParams(search.baseQuery);
    next.append('_cursor', Buffer.from(JSON.stringify(last)).toString('base64url'));
    links.push(`{"relation":"next","url":${JSON.stringify(`${base}/${type}?${next.toString()}`)}}`);
  }
  const entry = (r: Row, mode: string) =>
    `{"fullUrl":${JSON.stringify(`${base}/${r.resource_type}/${r.id}`)},"resource":${r.content},"search":{"mode":"${mode}"}}`;
  const entries = [...page.map((r) => entry(r, 'match')), ...included.map((r) => entry(r, 'include'))];
  return `{"resourceType":"Bundle","type":"searchset","link":[${links.join(',')}],"entry":[${entries.join(',')}]}`;
}

export function createFloorServer(pool: pg.Pool, base: string): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, {
        'content-type': 'application/fhir+json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://floor');
    if (url.pathname === '/healthz') return send(200, '{"status":"ok"}');
    const parts = url.pathname.split('/').filter((s) => s !== '');
    if (req.method !== 'GET' || parts[0] !== 'fhir' || parts.length < 2 || parts.length > 3)
      return send(404, '{}');
    const work =
      parts.length === 3
        ? pool
            .query<{ content: string }>(
              prepared({
                text: 'select content from resource where resource_type = $1 and id = $2 and not deleted',
                values: [parts[1], parts[2]],
              }),
            )
            .then((r) => (r.rows.length === 0 ? send(404, '{}') : send(200, r.rows[0].content)))
        : handleSearch(pool, base, parts[1], url.searchParams).then((body) => send(200, body));
    work.catch((error: unknown) =>
      send(
        error instanceof BadRequest ? 400 : 500,
        JSON.stringify({ error: error instanceof Error ? error.message : String(error) }),
      ),
    );
  });
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const port = Number(process.env.PORT ?? '8090');
  // Generic plans only for the statements `prepared` names: for the task queue (two filters) a
  // generic plan was 40x slower, as it cannot see how many rows an owner or a status has.
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: Number(process.env.DATABASE_POOL_SIZE ?? '10'),
  });
  const base = (process.env.BASE_URL ?? `http://127.0.0.1:${port}/fhir`).replace(/\/+$/, '');
  const server = createFloorServer(pool, base);
  server.keepAliveTimeout = 65_000;
  server.listen(port, '127.0.0.1');
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`floor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
