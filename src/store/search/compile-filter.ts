import { sql, type RawBuilder } from 'kysely';
import { column } from './sql-column';
import { timestampMs, timestampText } from '../../fhir/search/date-range';
import { indexKey, isShortenedKey } from '../../fhir/search/index-key';
import { normalizeString } from '../../fhir/search/normalize';
import type {
  CompositeFilter,
  DateFilter,
  Filter,
  NumberFilter,
  NumberValue,
  RangeValue,
  ReferenceFilter,
  StringFilter,
  TokenFilter,
  TokenMatch,
  UriFilter,
} from '../../fhir/search/search-request';

type Condition = RawBuilder<unknown>;

const TRUE = sql`true`;
const FALSE = sql`false`;

/** Tables of each parameter type, for :missing. */
const TABLE_OF_TYPE: Record<string, string> = {
  token: 'idx_token',
  string: 'idx_string',
  date: 'idx_date',
  reference: 'idx_reference',
  uri: 'idx_uri',
  number: 'idx_number',
  quantity: 'idx_quantity',
  composite: 'idx_composite',
};

function typeCondition(name: string, types: string[]): Condition {
  return types.length === 1 ? sql`${column(name)} = ${types[0]}` : sql`${column(name)} = any(${types})`;
}

function or(conditions: Condition[]): Condition {
  if (conditions.length === 0) return FALSE;
  if (conditions.length === 1) return conditions[0];
  return sql`(${sql.join(conditions, sql` or `)})`;
}

export function and(conditions: Condition[]): Condition {
  if (conditions.length === 0) return TRUE;
  if (conditions.length === 1) return conditions[0];
  return sql`(${sql.join(conditions, sql` and `)})`;
}

/** `%`, `_` and `\` are literal in the search value. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A reference row that points at this server: relative, or absolute under its base.
 * `Patient/1` must not find `http://elsewhere/fhir/Patient/1` (R4 search.html#reference).
 */
function isLocalReference(alias: string, base: string): Condition {
  const url = column(`${alias}.url`);
  return sql`(${url} is null or ${url} like ${escapeLike(base) + '/%'})`;
}

/**
 * Compiles one filter to a condition on the resource row `alias` (a row of `resource`
 * whose type is one of `types`). Each filter becomes `alias.rid IN (index lookup)`,
 * which Postgres runs as a semi-join driven by the index.
 */
export function compileFilter(filter: Filter, types: string[], alias: string, depth = 0): Condition {
  const rid = column(`${alias}.rid`);
  switch (filter.kind) {
    case 'id':
      if (filter.values.length === 0) return filter.not ? FALSE : TRUE; // _id:missing
      return filter.not ? sql`${column(`${alias}.id`)} <> all(${filter.values})` : sql`${column(`${alias}.id`)} = any(${filter.values})`;
    case 'lastUpdated':
      return or(filter.values.map((v) => compileRange(v, column(`${alias}.last_updated`), column(`${alias}.last_updated`), true)));
    case 'fulltext': {
      const field = column(`f.${filter.field}`);
      const queries = or(filter.values.map((q) => sql`${field} @@ plainto_tsquery('english', ${q})`));
      return sql`${rid} in (select f.rid from idx_fulltext f where ${typeCondition('f.resource_type', types)} and ${queries})`;
    }
    case 'token':
      return compileToken(filter, types, rid);
    case 'string':
      return compileString(filter, types, rid);
    case 'date':
      return compileDate(filter, types, rid);
    case 'number':
    case 'quantity':
      return compileNumber(filter, types, rid);
    case 'reference':
      return compileReference(filter, types, rid);
    case 'compartment': {
      const byReference = sql`${rid} in (select f.rid from idx_reference f where ${typeCondition('f.resource_type', types)} and f.param = any(${filter.params}) and f.target_type = ${indexKey(filter.targetType)} and f.target_id = ${indexKey(filter.id)} and ${isLocalReference('f', filter.localBase)})`;
      return filter.self ? sql`(${column(`${alias}.id`)} = ${filter.id} or ${byReference})` : byReference;
    }
    case 'uri':
      return compileUri(filter, types, rid);
    case 'composite':
      return compileComposite(filter, types, rid);
    case 'missing': {
      const table = TABLE_OF_TYPE[filter.paramType];
      if (table === undefined) return TRUE;
      let present = sql`${rid} in (select m.rid from ${sql.table(table)} m where ${typeCondition('m.resource_type', types)} and m.param = ${filter.param})`;
      if (filter.paramType === 'reference') {
        // A reference given only by its identifier is a value too.
        const byIdentifier = sql`${rid} in (select m.rid from idx_token m where ${typeCondition('m.resource_type', types)} and m.param = ${`${filter.param}:identifier`})`;
        present = sql`(${present} or ${byIdentifier})`;
      }
      return filter.missing ? sql`not ${present}` : present;
    }
    case 'chain': {
      // The references of this resource that lead to a target matching the inner filter: by
      // type/id or by canonical URL. One UNION inside one IN lets the planner start from the
      // (usually selective) targets instead of walking every resource. `url is not null` changes
      // no result but lets the planner see how few references are canonical (no scan of idx_uri).
      const t = `c${depth}`;
      const inner = compileFilter(filter.filter, filter.targetTypes, t, depth + 1);
      const targets = sql`select ${column(`${t}.rid`)} from resource ${sql.table(t)} where ${typeCondition(`${t}.resource_type`, filter.targetTypes)} and not ${column(`${t}.deleted`)} and ${inner}`;
      const g = `g${depth}`;
      const tt = `ct${depth}`;
      const u = `cu${depth}`;
      const sameReference = sql`${typeCondition(`${g}.resource_type`, types)} and ${column(`${g}.param`)} = ${filter.param}`;
      return sql`${rid} in (
        select ${column(`${g}.rid`)} from idx_reference ${sql.table(g)}
          join resource ${sql.table(tt)} on ${column(`${tt}.resource_type`)} = ${column(`${g}.target_type`)} and ${column(`${tt}.id`)} = ${column(`${g}.target_id`)}
          where ${sameReference} and ${isLocalReference(g, filter.localBase)} and ${column(`${tt}.rid`)} in (${targets})
        union
        select ${column(`${g}.rid`)} from idx_reference ${sql.table(g)}
          join idx_uri ${sql.table(u)} on ${column(`${u}.value`)} = ${column(`${g}.url`)} and ${column(`${u}.param`)} = 'url'
          where ${sameReference} and ${column(`${g}.url`)} is not null and ${column(`${u}.rid`)} in (${targets}))`;
    }
    case 'has': {
      // The resources referenced (by type/id or canonical URL) by a source matching the inner filter.
      const s = `h${depth}`;
      const inner = compileFilter(filter.filter, [filter.sourceType], s, depth + 1);
      const sources = sql`select ${column(`${s}.rid`)} from resource ${sql.table(s)} where ${column(`${s}.resource_type`)} = ${filter.sourceType} and not ${column(`${s}.deleted`)} and ${inner}`;
      const g = `hr${depth}`;
      const tt = `ht${depth}`;
      const u = `hu${depth}`;
      const sameReference = sql`${column(`${g}.resource_type`)} = ${filter.sourceType} and ${column(`${g}.param`)} = ${filter.referenceParam} and ${column(`${g}.rid`)} in (${sources})`;
      return sql`${rid} in (
        select ${column(`${tt}.rid`)} from idx_reference ${sql.table(g)}
          join resource ${sql.table(tt)} on ${column(`${tt}.resource_type`)} = ${column(`${g}.target_type`)} and ${column(`${tt}.id`)} = ${column(`${g}.target_id`)}
          where ${sameReference} and ${isLocalReference(g, filter.localBase)} and ${typeCondition(`${tt}.resource_type`, types)}
        union
        select ${column(`${u}.rid`)} from idx_reference ${sql.table(g)}
          join idx_uri ${sql.table(u)} on ${column(`${u}.value`)} = ${column(`${g}.url`)} and ${column(`${u}.param`)} = 'url'
          where ${sameReference} and ${column(`${g}.url`)} is not null)`;
    }
  }
}

function tokenMatch(m: TokenMatch): Condition {
  const parts: Condition[] = [];
  if (m.code !== undefined) parts.push(sql`t.code = ${indexKey(m.code)}`);
  if (m.system === null) parts.push(sql`t.system is null`);
  else if (m.system !== undefined) parts.push(sql`t.system = ${indexKey(m.system)}`);
  return and(parts);
}

function tokenMatches(values: TokenMatch[]): Condition {
  // Plain codes (any system) become one `= any(array)`: long OR lists stay one index scan.
  const plainCodes = values.filter((v) => v.system === undefined && v.code !== undefined).map((v) => indexKey(v.code!));
  const others = values.filter((v) => !(v.system === undefined && v.code !== undefined));
  const conditions: Condition[] = [];
  if (plainCodes.length > 0) conditions.push(sql`t.code = any(${plainCodes})`);
  const bySystem = new Map<string, string[]>();
  for (const v of others) {
    if (typeof v.system === 'string' && v.code !== undefined) {
      bySystem.set(indexKey(v.system), [...(bySystem.get(indexKey(v.system)) ?? []), indexKey(v.code)]);
    } else conditions.push(tokenMatch(v));
  }
  for (const [system, codes] of bySystem) {
    conditions.push(codes.length === 1 ? sql`(t.system = ${system} and t.code = ${codes[0]})` : sql`(t.system = ${system} and t.code = any(${codes}))`);
  }
  return or(conditions);
}

function compileToken(filter: TokenFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const param = filter.modifier === 'of-type' ? `${filter.param}:of-type` : filter.param;
  const lookup = (match: Condition) =>
    sql`${rid} in (select t.rid from idx_token t where ${typeCondition('t.resource_type', types)} and t.param = ${param} and ${match})`;
  switch (filter.modifier) {
    case 'text':
      return lookup(
        or(filter.texts.map((text) => sql`(t.text_norm like ${escapeLike(text) + '%'} or t.text_norm like ${'% ' + escapeLike(text) + '%'})`)),
      );
    case 'not':
      // R4: :not matches resources without any matching value, including those with no value.
      return sql`not ${lookup(tokenMatches(filter.values))}`;
    case 'not-in':
      return sql`not ${lookup(tokenMatches(filter.values))}`;
    default:
      return filter.translated ? compileTranslatedToken(filter, types, rid) : lookup(tokenMatches(filter.values));
  }
}

/**
 * A token search that also matches through stored ConceptMaps: the resources coded with a value,
 * and those coded with a target that a current ConceptMap maps a value onto (idx_translation,
 * written with the ConceptMap in its transaction, so every instance sees a map from its commit on).
 * The second branch starts from the source code's index, then the target's.
 */
function compileTranslatedToken(filter: TokenFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const direct = sql`select t.rid from idx_token t where ${typeCondition('t.resource_type', types)} and t.param = ${filter.param} and ${tokenMatches(filter.values)}`;
  const sources = filter.values
    .filter((v) => v.code !== undefined && v.system !== null)
    .map((v) => {
      const code = indexKey(v.code!);
      return typeof v.system === 'string' ? sql`(m.source_code = ${code} and m.source_system = ${indexKey(v.system)})` : sql`m.source_code = ${code}`;
    });
  if (sources.length === 0) return sql`${rid} in (${direct})`;
  return sql`${rid} in (${direct} union all
    select t.rid from idx_translation m join idx_token t on t.code = m.target_code and t.system = m.target_system
      where ${or(sources)} and ${typeCondition('t.resource_type', types)} and t.param = ${filter.param})`;
}

function compileString(filter: StringFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const matches = filter.values.map((v) => {
    // value_norm is a function of value: comparing it too lets :exact use the index.
    if (filter.modifier === 'exact') return sql`(s.value_norm = ${indexKey(normalizeString(v))} and s.value = ${v})`;
    // A shortened key (indexKey) ends in a digest: :contains reads the whole value instead.
    if (filter.modifier === 'contains') return sql`coalesce(s.value_norm_full, s.value_norm) like ${'%' + escapeLike(v) + '%'}`;
    // Only a value longer than the limit starts with one as long: its whole value is kept too.
    if (isShortenedKey(v)) return sql`s.value_norm_full like ${escapeLike(v) + '%'}`;
    return sql`s.value_norm like ${escapeLike(v) + '%'}`;
  });
  return sql`${rid} in (select s.rid from idx_string s where ${typeCondition('s.resource_type', types)} and s.param = ${filter.param} and ${or(matches)})`;
}

/**
 * R4 search.html#prefix on ranges: the target [ts, te) against the search value [ss, se).
 * `eq` means the search range contains the target; `gt` that some of the target lies after it, etc.
 */
function compileRange(value: RangeValue, start: RawBuilder<unknown>, end: RawBuilder<unknown>, instant = false): Condition {
  const ss = sql`${value.start}::timestamptz`;
  const se = sql`${value.end}::timestamptz`;
  // For _lastUpdated the target is an instant: its range is [t, t].
  const te = instant ? start : end;
  // Containment also bounds the start from above: the same matches, but an index range on
  // range_start and an estimate the planner can use (it took `start >= ss and end <= se` for a
  // quarter of idx_date when 5 rows matched, and scanned the table). The bound allows a year of
  // slack because a December date or month is stored today with its end on January 1st of the
  // same year (parseDateRange's utc() keeps the year when the day or month overflows), so a range
  // may end up to a year before it starts.
  const contained = instant
    ? sql`(${start} >= ${ss} and ${start} < ${se})`
    : sql`(${start} >= ${ss} and ${start} <= ${se} + interval '1 year' and ${te} <= ${se})`;
  switch (value.prefix) {
    case 'eq':
      return contained;
    case 'ne':
      return sql`not ${contained}`;
    case 'gt':
      return instant ? sql`${start} >= ${se}` : sql`${te} > ${se}`;
    case 'lt':
      return sql`${start} < ${ss}`;
    case 'ge':
      return instant ? sql`${start} >= ${ss}` : sql`(${te} > ${se} or ${contained})`;
    case 'le':
      return instant ? sql`${start} < ${se}` : sql`(${start} < ${ss} or ${contained})`;
    case 'sa':
      return instant ? sql`${start} >= ${se}` : sql`${start} >= ${se}`;
    case 'eb':
      return instant ? sql`${start} < ${ss}` : sql`${te} <= ${ss}`;
    case 'ap': {
      // Approximately: within 10% of the distance between the value and now, at least a day.
      const searchStart = timestampMs(value.start);
      const gap = Math.max(Math.abs(Date.now() - searchStart) * 0.1, 86_400_000);
      const lo = timestampText(searchStart - gap);
      const hi = timestampText(timestampMs(value.end) + gap);
      return sql`(${start} < ${hi}::timestamptz and ${te} > ${lo}::timestamptz)`;
    }
  }
}

function compileDate(filter: DateFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const matches = filter.values.map((v) => compileRange(v, column('d.range_start'), column('d.range_end')));
  return sql`${rid} in (select d.rid from idx_date d where ${typeCondition('d.resource_type', types)} and d.param = ${filter.param} and ${or(matches)})`;
}

/** R4 search.html#number: `eq 100` matches [99.5, 100.5); the other prefixes compare the exact value. */
export function numberCondition(v: NumberValue, column: RawBuilder<unknown>): Condition {
  const value = sql`${String(v.value)}::numeric`;
  switch (v.prefix) {
    case 'eq':
      return sql`(${column} >= ${String(v.low)}::numeric and ${column} < ${String(v.high)}::numeric)`;
    case 'ne':
      return sql`not (${column} >= ${String(v.low)}::numeric and ${column} < ${String(v.high)}::numeric)`;
    case 'gt':
    case 'sa':
      return sql`${column} > ${value}`;
    case 'lt':
    case 'eb':
      return sql`${column} < ${value}`;
    case 'ge':
      return sql`${column} >= ${value}`;
    case 'le':
      return sql`${column} <= ${value}`;
    case 'ap': {
      const delta = Math.abs(v.value) * 0.1;
      return sql`(${column} >= ${String(v.value - delta)}::numeric and ${column} <= ${String(v.value + delta)}::numeric)`;
    }
  }
}

function compileNumber(filter: NumberFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const table = filter.kind === 'quantity' ? 'idx_quantity' : 'idx_number';
  const matches = filter.values.map((v) => {
    const parts = [numberCondition(v, column('n.value'))];
    if (v.system !== undefined) parts.push(sql`n.system = ${v.system}`);
    if (v.code !== undefined) parts.push(sql`(n.code = ${v.code} or (n.code is null and n.unit = ${v.code}))`);
    return and(parts);
  });
  return sql`${rid} in (select n.rid from ${sql.table(table)} n where ${typeCondition('n.resource_type', types)} and n.param = ${filter.param} and ${or(matches)})`;
}

function compileReference(filter: ReferenceFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const matches = filter.values.map((v) => {
    const parts: Condition[] = [];
    if (v.id !== undefined) parts.push(sql`f.target_id = ${indexKey(v.id)}`);
    if (v.targetType !== undefined) parts.push(sql`f.target_type = ${indexKey(v.targetType)}`);
    if (v.url !== undefined) parts.push(sql`f.url = ${indexKey(v.url)}`);
    if (v.version !== undefined) parts.push(sql`f.version = ${v.version}`);
    if (v.localBase !== undefined) parts.push(isLocalReference('f', v.localBase));
    return and(parts);
  });
  const param = filter.anyOfParams !== undefined ? sql`f.param = any(${[...filter.anyOfParams]})` : sql`f.param = ${filter.param}`;
  if (filter.not) {
    // Probed row by row through idx_reference_rid: the resources it rules out are never all read.
    return sql`not exists (select 1 from idx_reference f where f.rid = ${rid} and ${typeCondition('f.resource_type', types)} and ${param} and ${or(matches)})`;
  }
  return sql`${rid} in (select f.rid from idx_reference f where ${typeCondition('f.resource_type', types)} and ${param} and ${or(matches)})`;
}

function compileUri(filter: UriFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const matches = filter.values.map((v) => {
    if (filter.modifier === 'below') {
      // Below a URL means at or under it by whole path segments: `/fhir` is not below `/fhi`.
      if (v.endsWith('/')) return sql`u.value like ${escapeLike(v) + '%'}`;
      return sql`(u.value = ${v} or u.value like ${escapeLike(v) + '/%'})`;
    }
    if (filter.modifier === 'above') return sql`u.value = any(${segmentPrefixes(v).map((p) => indexKey(p))})`;
    return sql`u.value = ${indexKey(v)}`;
  });
  return sql`${rid} in (select u.rid from idx_uri u where ${typeCondition('u.resource_type', types)} and u.param = ${filter.param} and ${or(matches)})`;
}

/** The value and each of its leading paths at a `/`, with and without the slash: the URIs above it. */
function segmentPrefixes(value: string): string[] {
  const prefixes = new Set<string>([value]);
  for (let i = value.indexOf('//') >= 0 ? value.indexOf('//') + 2 : 0; i < value.length; i++) {
    if (value[i] === '/') {
      prefixes.add(value.slice(0, i));
      prefixes.add(value.slice(0, i + 1));
    }
  }
  return [...prefixes];
}

function compileComposite(filter: CompositeFilter, types: string[], rid: RawBuilder<unknown>): Condition {
  const matches = filter.values.map((v) => {
    const parts: Condition[] = [sql`k.component_1 = ${indexKey(v.component1)}`];
    if (v.number !== undefined) {
      if (v.component2 !== '|') parts.push(sql`k.component_2 = ${indexKey(v.component2)}`);
      parts.push(numberCondition(v.number, column('k.value_2')));
    } else parts.push(sql`k.component_2 = ${indexKey(v.component2)}`);
    return and(parts);
  });
  return sql`${rid} in (select k.rid from idx_composite k where ${typeCondition('k.resource_type', types)} and k.param = ${filter.param} and ${or(matches)})`;
}
