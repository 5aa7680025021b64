import { isReadOnlyStatement, parseLsn } from '../../../src/store/read-routing';

test('a replica gets plain SELECTs only: no writes, locks, sequences, advisory locks or notifications', () => {
  expect(isReadOnlyStatement('select content from resource where id = $1')).toBe(true);
  expect(isReadOnlyStatement('/* custom plan */ with p as (select 1) select * from p')).toBe(true);
  expect(isReadOnlyStatement('select "updated_at", last_update from t')).toBe(true);
  for (const text of [
    'insert into resource values ($1)',
    'update resource set deleted = true',
    'with d as (delete from x returning *) select * from d',
    'select * from resource where id = $1 for update',
    'select * from resource for share',
    'select nextval($1)',
    'select pg_advisory_lock($1)',
    "select pg_notify('c', '')",
    'begin',
    'set local statement_timeout = 0',
  ]) {
    expect([text, isReadOnlyStatement(text)]).toEqual([text, false]);
  }
});

test('WAL positions compare as numbers across the high word', () => {
  expect(parseLsn('0/36155C8')).toBe(0x36155c8n);
  expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
});
