import type { Filter } from '../../../src/fhir/search/search-request';
import { mayUseGenericPlan } from '../../../src/store/search/generic-plan';

const token = (code: string | undefined, modifier: 'none' | 'not' | 'text' = 'none'): Filter => ({
  kind: 'token',
  param: 'procedure',
  modifier,
  values: [{ system: 'http://www.ama-assn.org/go/cpt', code }],
  texts: [],
  valueSets: [],
});

describe('mayUseGenericPlan', () => {
  test('one equality on a token code, a reference target, an id or a uri may use a generic plan', () => {
    expect(mayUseGenericPlan([token('63047')])).toBe(true);
    expect(mayUseGenericPlan([{ kind: 'reference', param: 'owner', values: [{ targetType: 'Practitioner', id: 'p1' }] }])).toBe(true);
    expect(mayUseGenericPlan([{ kind: 'id', values: ['a', 'b'], not: false }])).toBe(true);
    expect(mayUseGenericPlan([{ kind: 'uri', param: 'url', modifier: 'none', values: ['http://x/Questionnaire/q'] }])).toBe(true);
  });

  test('a uri below or above a prefix is planned for its value', () => {
    expect(mayUseGenericPlan([{ kind: 'uri', param: 'url', modifier: 'below', values: ['http://x/'] }])).toBe(false);
    expect(mayUseGenericPlan([{ kind: 'uri', param: 'url', modifier: 'above', values: ['http://x/a/b'] }])).toBe(false);
  });

  test('two filters are planned for their values: either may be the selective one', () => {
    expect(mayUseGenericPlan([token('63047'), token('risks')])).toBe(false);
  });

  test('no filter, a whole system, a negation, :text, strings, dates and canonical references are planned for their values', () => {
    expect(mayUseGenericPlan([])).toBe(false);
    expect(mayUseGenericPlan([token(undefined)])).toBe(false);
    expect(mayUseGenericPlan([token('63047', 'not')])).toBe(false);
    expect(mayUseGenericPlan([token('63047', 'text')])).toBe(false);
    expect(mayUseGenericPlan([{ kind: 'string', param: 'family', modifier: 'none', values: ['al'] }])).toBe(false);
    expect(mayUseGenericPlan([{ kind: 'date', param: 'date', values: [{ prefix: 'eq', start: '2024-01-01', end: '2024-01-02' }] }])).toBe(false);
    expect(mayUseGenericPlan([{ kind: 'reference', param: 'definition', values: [{ url: 'http://x/Questionnaire/q' }] }])).toBe(false);
    expect(mayUseGenericPlan([{ kind: 'id', values: ['a'], not: true }])).toBe(false);
  });
});
