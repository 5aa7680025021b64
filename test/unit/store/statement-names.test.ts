import { CUSTOM_PLAN_MARK, StatementNames } from '../../../src/store/prepared-statements';

describe('StatementNames', () => {
  test('the same text gets the same name, another text another name', () => {
    const names = new StatementNames(10);
    const a = names.nameFor('select * from resource where id = $1');
    const b = names.nameFor('select * from resource where rid = $1');
    expect(a).toBeDefined();
    expect(b).toBeDefined();
    expect(a).not.toBe(b);
    expect(names.nameFor('select * from resource where id = $1')).toBe(a);
  });

  test('queries and writes are named; utility statements are not', () => {
    const names = new StatementNames(10);
    for (const text of ['select 1', ' WITH x as (select 1) select * from x', 'insert into t values ($1)', 'update t set a = $1', 'delete from t'])
      expect(names.nameFor(text)).toBeDefined();
    for (const text of ['set local statement_timeout = 0', 'analyze resource', 'begin', 'create table t (a int)', 'selection'])
      expect(names.nameFor(text)).toBeUndefined();
  });

  test('a statement marked for per-execution plans runs unnamed', () => {
    const names = new StatementNames(10);
    expect(names.nameFor(`${CUSTOM_PLAN_MARK}select * from resource where id = $1`)).toBeUndefined();
    expect(names.size).toBe(0);
  });

  test('past the limit, new texts run unnamed and known texts keep their names', () => {
    const names = new StatementNames(2);
    const first = names.nameFor('select 1');
    names.nameFor('select 2');
    expect(names.nameFor('select 3')).toBeUndefined();
    expect(names.nameFor('select 1')).toBe(first);
    expect(names.size).toBe(2);
  });
});
