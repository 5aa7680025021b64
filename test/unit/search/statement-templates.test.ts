import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Filter } from '../../../src/fhir/search/search-request';
import type { DatabaseSchema } from '../../../src/store/schema';
import {
  compileSearchPage,
  compiledCollectedPage,
  compiledIncluded,
  compiledPageWithIncluded,
  includedQuery,
  pageWithIncludedQuery,
  type PageInclude,
  type PageQuery,
} from '../../../src/store/search/search-query';
import { StatementTemplates } from '../../../src/store/statement-templates';

// Only compiles queries: the pool never connects.
const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: new pg.Pool({ max: 1 }) }) });

const oneCode = (type: string, param: string, system: string | undefined, code: string, limit = 21): PageQuery => ({
  resourceTypes: [type],
  filters: [{ kind: 'token', param, modifier: 'none', values: [{ system, code }], texts: [], valueSets: [] } as Filter],
  sort: [],
  limit,
});

describe('one-code search pages from a compiled template', () => {
  const cases: PageQuery[] = [
    oneCode('DocumentReference', 'procedure', 'http://www.ama-assn.org/go/cpt', '63047'),
    oneCode('DocumentReference', 'procedure', 'http://snomed.info/sct', '3153063101'),
    oneCode('DocumentReference', 'procedure', undefined, '63047'),
    oneCode('PlanDefinition', 'procedure', 'http://www.ama-assn.org/go/cpt', '63047', 51),
    oneCode('Task', 'status', undefined, 'requested', 3),
    // Values that look like SQL or like each other must still be bound, each in its place.
    oneCode('Patient', 'identifier', "x' or '1'='1", "x' or '1'='1"),
    oneCode('Patient', 'identifier', '63047', 'http://www.ama-assn.org/go/cpt'),
  ];

  test.each(cases.map((q, i) => [i, q] as const))('case %i gives the same SQL and values as compiling it', (_, query) => {
    const filled = compiledCollectedPage(db, query);
    const direct = compileSearchPage(db, query);
    expect(filled).toBeDefined();
    expect(filled!.sql).toBe(direct.sql);
    expect(filled!.parameters).toEqual(direct.parameters);
  });

  test('other searches are compiled as usual', () => {
    const twoValues: PageQuery = {
      ...oneCode('DocumentReference', 'procedure', 'a', 'b'),
      filters: [{ kind: 'token', param: 'procedure', modifier: 'none', values: [{ system: 'a', code: 'b' }, { system: 'a', code: 'c' }], texts: [], valueSets: [] }],
    };
    expect(compiledCollectedPage(db, twoValues)).toBeUndefined();
    expect(compiledCollectedPage(db, { ...oneCode('Task', 'status', undefined, 'x'), sort: [{ param: '_lastUpdated', paramType: '_lastUpdated', descending: true }] })).toBeUndefined();
    expect(compiledCollectedPage(db, { ...oneCode('Task', 'status', undefined, 'x'), after: { keys: ['a', '1'], backwards: false } })).toBeUndefined();
    expect(compiledCollectedPage(db, { ...oneCode('Task', 'status', null as unknown as undefined, 'x') })).toBeUndefined();
  });
});

describe('_include statements from a compiled template', () => {
  const base = 'https://patient-education.dev/fhir';
  const cases = [
    { rids: ['1', '2', '3'], include: { sourceType: 'PlanDefinition', targetType: undefined }, params: ['depends-on'] },
    { rids: ['7', '8', '9'], include: { sourceType: 'PlanDefinition', targetType: undefined }, params: ['depends-on'] },
    { rids: ['42'], include: { sourceType: 'Task', targetType: 'Questionnaire' }, params: ['focus'] },
    { rids: ['43'], include: { sourceType: 'Task', targetType: 'Questionnaire' }, params: ['focus'] },
    { rids: ['5', '6'], include: { sourceType: 'Task', targetType: undefined }, params: ['focus', 'owner', 'subject'] },
  ];

  test.each(cases.map((c, i) => [i, c] as const))('case %i gives the same SQL and values as compiling it', (_, c) => {
    const filled = compiledIncluded(db, c.rids, c.include, c.params, base);
    const direct = includedQuery(c.rids, c.include, c.params, base).compile(db);
    expect(filled.sql).toBe(direct.sql);
    expect(filled.parameters).toEqual(direct.parameters);
  });
});

describe('pages with their _include, one statement, from a compiled template', () => {
  const include = (sourceType: string, params: string[], fromFirst = 20): PageInclude => ({
    sourceType,
    targetType: undefined,
    referenceParams: params,
    localBase: 'https://patient-education.dev/fhir',
    fromFirst,
  });
  const cases: [PageQuery, PageInclude][] = [
    [oneCode('PlanDefinition', 'procedure', 'http://www.ama-assn.org/go/cpt', '63047'), include('PlanDefinition', ['depends-on'])],
    [oneCode('PlanDefinition', 'procedure', 'http://snomed.info/sct', '3153063101'), include('PlanDefinition', ['depends-on'])],
    [oneCode('PlanDefinition', 'procedure', undefined, '63047', 3), include('PlanDefinition', ['depends-on', 'definition'], 2)],
    [oneCode('Task', 'status', undefined, "x' or '1'='1", 3), { ...include('Task', ['focus'], 2), targetType: 'Questionnaire' }],
  ];

  test.each(cases.map((c, i) => [i, ...c] as const))('case %i gives the same SQL and values as compiling it', (_, query, inc) => {
    const filled = compiledPageWithIncluded(db, query, inc)!;
    const direct = pageWithIncludedQuery(query, inc)!.compile(db);
    expect(filled.sql).toBe(direct.sql);
    expect(filled.parameters).toEqual(direct.parameters);
    // its page is the collected page of the same search
    expect(filled.sql).toContain(compileSearchPage(db, query).sql.replace('/* custom plan */ ', ''));
  });

  test('a search without filters has no collected page to combine', () => {
    expect(pageWithIncludedQuery({ resourceTypes: ['Task'], filters: [], sort: [], limit: 21 }, include('Task', ['focus']))).toBeUndefined();
  });
});

describe('StatementTemplates', () => {
  test('fills stand-ins, arrays of stand-ins and keeps constants', () => {
    const templates = new StatementTemplates();
    const compile = (v: string[]) => sql`select ${v[0]}::text, ${[v[1]]}::text[], ${5001}::int`.compile(db);
    const first = templates.fill('k', ['a', 'b'], compile)!;
    const second = templates.fill('k', ['c', 'd'], compile)!;
    expect(first.parameters).toEqual(['a', ['b'], 5001]);
    expect(second.parameters).toEqual(['c', ['d'], 5001]);
    expect(second.sql).toBe(compile(['c', 'd']).sql);
  });

  test('a shape whose SQL transforms a value is never filled', () => {
    const templates = new StatementTemplates();
    let compiled = 0;
    const compile = (v: string[]) => {
      compiled++;
      return sql`select * from idx_string where value_norm like ${v[0] + '%'}`.compile(db);
    };
    expect(templates.fill('like', ['ab'], compile)).toBeUndefined();
    expect(templates.fill('like', ['cd'], compile)).toBeUndefined();
    expect(compiled).toBe(1);
  });

  test('past its limit it keeps no new shapes', () => {
    const templates = new StatementTemplates(1);
    const compile = (v: string[]) => sql`select ${v[0]}::text`.compile(db);
    expect(templates.fill('one', ['a'], compile)).toBeDefined();
    expect(templates.fill('two', ['a'], compile)).toBeUndefined();
  });
});
