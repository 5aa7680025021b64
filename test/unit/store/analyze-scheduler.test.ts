import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { DatabaseSchema } from '../../../src/store/schema';
import { resourceRowsInserted } from '../../../src/store/analyze-scheduler';
import { unnestInsert } from '../../../src/store/index/write-index-rows';

// Only builds queries: the pool never connects.
const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });

describe('rows inserted into resource, as the ANALYZE scheduler counts them', () => {
  it("counts a Kysely insert's rows", () => {
    const row = { resource_type: 'Patient', id: 'a', version_id: 1, content: '{}', deleted: false } as never;
    expect(resourceRowsInserted(db.insertInto('resource').values([row, row, row]).toOperationNode())).toBe(3);
    expect(resourceRowsInserted(db.insertInto('resource_history').values([row]).toOperationNode())).toBe(0);
  });

  it('counts the array length of a buffered multi-row insert, also inside a with', () => {
    const ids = ['a', 'b', 'c', 'd'];
    const insert = sql`insert into resource (resource_type, id) select * from unnest(${ids.map(() => 'Patient')}::text[], ${ids}::text[])`;
    expect(resourceRowsInserted(insert.toOperationNode())).toBe(4);
    const withStatement = sql`with p0 as (${insert}), p1 as (select 1) select 1`;
    expect(resourceRowsInserted(withStatement.toOperationNode())).toBe(4);
    expect(
      resourceRowsInserted(
        sql`insert into resource_history (id) select * from unnest(${ids}::text[])`.toOperationNode(),
      ),
    ).toBe(0);
    expect(resourceRowsInserted(sql`select * from resource where id = any(${ids})`.toOperationNode())).toBe(
      0,
    );
  });

  it('counts the insert the write buffer builds (unnestInsert), not those of other tables', () => {
    const columns = [
      ['resource_type', 'text'],
      ['id', 'text'],
    ] as const;
    const arrays = [
      ['Patient', 'Patient', 'Task'],
      ['a', 'b', 'c'],
    ];
    expect(resourceRowsInserted(unnestInsert('resource', columns, arrays).toOperationNode())).toBe(3);
    expect(resourceRowsInserted(unnestInsert('resource_history', columns, arrays).toOperationNode())).toBe(0);
    expect(resourceRowsInserted(unnestInsert('idx_token', columns, arrays).toOperationNode())).toBe(0);
  });
});
