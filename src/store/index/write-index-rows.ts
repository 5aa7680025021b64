import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { IndexValues, TranslationValue } from '../../fhir/search/index-values';
import { indexKey } from '../../fhir/search/index-key';
import type { DatabaseSchema } from '../schema';
import { SEARCH_TYPE_STORAGE } from '../search/types';
import type { IndexColumn } from '../search/types/search-type-storage';

/** The index rows of one resource version. */
export interface IndexRowsOf {
  rid: string;
  resourceType: string;
  values: IndexValues;
}

interface TableSpec {
  table: string;
  key: keyof IndexValues;
  columns: readonly IndexColumn<never>[];
}

const TRANSLATION_COLUMNS: readonly IndexColumn<TranslationValue>[] = [
  ['source_system', 'text', (v) => indexKey(v.sourceSystem)],
  ['source_code', 'text', (v) => indexKey(v.sourceCode)],
  ['target_system', 'text', (v) => indexKey(v.targetSystem)],
  ['target_code', 'text', (v) => indexKey(v.targetCode)],
];

/**
 * Every index table with a row per value: its columns after (rid, resource_type, param). Those
 * of the search-parameter types (store/search/types/), then the ConceptMap translations.
 * A text column under a B-tree index holds indexKey(value), which bounds its size.
 */
const VALUE_TABLES: readonly TableSpec[] = [
  ...Object.entries(SEARCH_TYPE_STORAGE).map(([key, storage]) => ({
    table: storage.rows.table,
    key: key as keyof IndexValues,
    columns: storage.rows.columns as readonly IndexColumn<never>[],
  })),
  { table: 'idx_translation', key: 'translation', columns: TRANSLATION_COLUMNS as readonly IndexColumn<never>[] },
];

/**
 * `insert into <table> (<columns>) select ... from unnest($1::type[], $2::type[], ...)`: one
 * statement and one bound array per column, whatever the number of rows. Table, column and type
 * names come from the constants above, never from input.
 */
export function unnestInsert(
  table: string,
  columns: readonly (readonly [name: string, type: string])[],
  arrays: unknown[][],
  select?: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const names = sql.join(columns.map(([name]) => sql.ref(name)));
  const sources = sql.join(columns.map(([, type], i) => sql`${arrays[i]}::${sql.raw(type)}[]`));
  const aliases = sql.join(columns.map((_, i) => sql.raw(`c${i}`)));
  return sql`insert into ${sql.table(table)} (${names}) select ${select ?? sql`*`} from unnest(${sources}) as u(${aliases})`;
}

/** Every search-index table: one row per value, and the full-text table (one row per resource). */
export const INDEX_TABLES: readonly string[] = [...VALUE_TABLES.map((t) => t.table), 'idx_fulltext'];

/**
 * The statements (as parts of one WITH) that delete the index rows of these resources. The
 * full-text row (one per resource, its primary key) is deleted only for `fulltextRids`: a
 * resource that gets new index rows in the same statement has it replaced by the insert
 * (indexInsertParts: on conflict do update), since a delete and an insert of one key in one
 * statement would collide.
 */
export function indexDeleteParts(rids: string[], fulltextRids: string[] = rids): RawBuilder<unknown>[] {
  const parts = rids.length === 0 ? [] : VALUE_TABLES.map((t) => sql`delete from ${sql.table(t.table)} where rid = any(${rids}::bigint[])`);
  if (fulltextRids.length > 0) parts.push(sql`delete from idx_fulltext where rid = any(${fulltextRids}::bigint[])`);
  return parts;
}

/** The statements (as parts of one WITH) that insert the index rows of these resources. */
export function indexInsertParts(items: IndexRowsOf[]): RawBuilder<unknown>[] {
  if (items.length === 0) return [];
  const parts: RawBuilder<unknown>[] = [];
  for (const t of VALUE_TABLES) {
    const columns = t.columns;
    const arrays: unknown[][] = [[], [], [], ...columns.map(() => [])];
    for (const { rid, resourceType, values } of items) {
      for (const v of values[t.key] as never[]) {
        arrays[0].push(rid);
        arrays[1].push(resourceType);
        arrays[2].push((v as { param: string }).param);
        columns.forEach(([, , value], i) => arrays[3 + i].push(value(v)));
      }
    }
    if (arrays[0].length === 0) continue;
    parts.push(
      unnestInsert(
        t.table,
        [['rid', 'bigint'], ['resource_type', 'text'], ['param', 'text'], ...columns.map(([name, type]) => [name, type] as const)],
        arrays,
      ),
    );
  }
  parts.push(
    unnestInsert(
      'idx_fulltext',
      [
        ['rid', 'bigint'],
        ['resource_type', 'text'],
        ['narrative', 'text'],
        ['content', 'text'],
      ],
      [items.map((i) => i.rid), items.map((i) => i.resourceType), items.map((i) => i.values.narrative), items.map((i) => i.values.content)],
      sql`c0, c1, to_tsvector('english', c2), to_tsvector('english', c3)`,
    ),
  );
  parts[parts.length - 1] = sql`${parts[parts.length - 1]} on conflict (rid) do update
    set resource_type = excluded.resource_type, narrative = excluded.narrative, content = excluded.content`;
  return parts;
}

/**
 * Runs data-modifying statements as one statement (`with p0 as (...), p1 as (...) select`): one
 * round trip. They all see the snapshot taken before it, so a delete does not see the rows an
 * insert of the same statement adds.
 */
export async function runAsOneStatement(db: Kysely<DatabaseSchema>, parts: RawBuilder<unknown>[]): Promise<void> {
  if (parts.length === 0) return;
  if (parts.length === 1) {
    await parts[0].execute(db);
    return;
  }
  const ctes = sql.join(
    parts.map((part, i) => sql`${sql.raw(`p${i}`)} as (${part})`),
    sql`, `,
  );
  await sql`with ${ctes} select 1`.execute(db);
}

export async function deleteIndexRows(db: Kysely<DatabaseSchema>, rid: string): Promise<void> {
  await runAsOneStatement(db, indexDeleteParts([rid]));
}

/** Writes the index rows of one or many resources (same transaction as the resources). */
export async function insertIndexRows(db: Kysely<DatabaseSchema>, items: IndexRowsOf[]): Promise<void> {
  await runAsOneStatement(db, indexInsertParts(items));
}
