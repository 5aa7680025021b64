import { sql, type Kysely } from 'kysely';
import type { IndexValues } from '../../fhir/search/index-values';
import type { DatabaseSchema } from '../schema';

const INDEX_TABLES = [
  'idx_token',
  'idx_string',
  'idx_date',
  'idx_reference',
  'idx_uri',
  'idx_number',
  'idx_quantity',
  'idx_composite',
  'idx_fulltext',
] as const;

/** Rows per INSERT statement: far below Postgres' 65,535 bound parameters. */
const CHUNK = 1000;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

export async function deleteIndexRows(db: Kysely<DatabaseSchema>, rid: string): Promise<void> {
  for (const table of INDEX_TABLES) await db.deleteFrom(table).where('rid', '=', rid).execute();
}

/** Writes the index rows of one or many resources (same transaction as the resources). */
export async function insertIndexRows(
  db: Kysely<DatabaseSchema>,
  items: { rid: string; resourceType: string; values: IndexValues }[],
): Promise<void> {
  const base = (rid: string, resourceType: string, param: string) => ({ rid, resource_type: resourceType, param });
  const token = items.flatMap(({ rid, resourceType, values }) =>
    values.token.map((v) => ({ ...base(rid, resourceType, v.param), system: v.system, code: v.code, text_norm: v.text })),
  );
  const string = items.flatMap(({ rid, resourceType, values }) =>
    values.string.map((v) => ({ ...base(rid, resourceType, v.param), value_norm: v.normalized, value: v.value })),
  );
  const date = items.flatMap(({ rid, resourceType, values }) =>
    values.date.map((v) => ({ ...base(rid, resourceType, v.param), range_start: v.start, range_end: v.end })),
  );
  const reference = items.flatMap(({ rid, resourceType, values }) =>
    values.reference.map((v) => ({
      ...base(rid, resourceType, v.param),
      target_type: v.targetType,
      target_id: v.targetId,
      url: v.url,
      version: v.version,
    })),
  );
  const uri = items.flatMap(({ rid, resourceType, values }) =>
    values.uri.map((v) => ({ ...base(rid, resourceType, v.param), value: v.value })),
  );
  const number = items.flatMap(({ rid, resourceType, values }) =>
    values.number.map((v) => ({
      ...base(rid, resourceType, v.param),
      value: String(v.value),
      range_low: String(v.low),
      range_high: String(v.high),
    })),
  );
  const quantity = items.flatMap(({ rid, resourceType, values }) =>
    values.quantity.map((v) => ({
      ...base(rid, resourceType, v.param),
      value: String(v.value),
      range_low: String(v.low),
      range_high: String(v.high),
      system: v.system,
      code: v.code,
      unit: v.unit,
    })),
  );
  const composite = items.flatMap(({ rid, resourceType, values }) =>
    values.composite.map((v) => ({
      ...base(rid, resourceType, v.param),
      component_1: v.component1,
      component_2: v.component2,
      value_2: v.value2 === null ? null : String(v.value2),
    })),
  );
  for (const rows of chunks(token)) await db.insertInto('idx_token').values(rows).execute();
  for (const rows of chunks(string)) await db.insertInto('idx_string').values(rows).execute();
  for (const rows of chunks(date)) await db.insertInto('idx_date').values(rows).execute();
  for (const rows of chunks(reference)) await db.insertInto('idx_reference').values(rows).execute();
  for (const rows of chunks(uri)) await db.insertInto('idx_uri').values(rows).execute();
  for (const rows of chunks(number)) await db.insertInto('idx_number').values(rows).execute();
  for (const rows of chunks(quantity)) await db.insertInto('idx_quantity').values(rows).execute();
  for (const rows of chunks(composite)) await db.insertInto('idx_composite').values(rows).execute();
  for (const rows of chunks(items)) {
    await db
      .insertInto('idx_fulltext')
      .values(
        rows.map(({ rid, resourceType, values }) => ({
          rid,
          resource_type: resourceType,
          narrative: sql<string>`to_tsvector('english', ${values.narrative})`,
          content: sql<string>`to_tsvector('english', ${values.content})`,
        })),
      )
      .execute();
  }
}

