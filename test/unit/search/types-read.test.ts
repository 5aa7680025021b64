import type { Filter, SearchRequest } from '../../../src/fhir/search/search-request';
import { typesReadBy } from '../../../src/fhir/search/types-read';

const request = (resourceTypes: string[], filters: Filter[], includes: SearchRequest['includes'] = []): SearchRequest => ({
  resourceTypes,
  filters,
  includes,
  sort: [],
  count: 20,
  total: undefined,
  summary: undefined,
  elements: undefined,
  cursor: undefined,
  applied: [],
});

const code = (valueSets: string[] = []): Filter => ({
  kind: 'token',
  param: 'code',
  modifier: valueSets.length > 0 ? 'in' : 'none',
  values: valueSets.length > 0 ? [] : [{ system: 'http://snomed.info/sct', code: '55705006' }],
  texts: [],
  valueSets,
});
const subject: Filter = { kind: 'reference', param: 'subject', values: [{ targetType: 'Patient', id: 'p1' }] };
const url: Filter = { kind: 'uri', param: 'url', modifier: 'none', values: ['https://example.org/Questionnaire/q'] };

describe('typesReadBy', () => {
  test('filters on the searched resources own index rows read only the searched types', () => {
    expect(typesReadBy(request(['Questionnaire'], [url]))).toEqual(['Questionnaire']);
    expect(typesReadBy(request(['Task'], [subject, code()]))).toEqual(['Task']);
    expect(typesReadBy(request(['Task', 'ServiceRequest'], []))).toEqual(['Task', 'ServiceRequest']);
  });

  test('includes, chains, _has and terminology expansions may read other types', () => {
    const include = { sourceType: 'Task', param: 'focus', targetType: undefined, iterate: false, reverse: false };
    expect(typesReadBy(request(['Task'], [subject], [include]))).toBeUndefined();
    expect(typesReadBy(request(['Task'], [code(['https://example.org/ValueSet/procedures'])]))).toBeUndefined();
    const chain = { kind: 'chain', param: 'subject', targetTypes: ['Patient'], inner: [] } as unknown as Filter;
    expect(typesReadBy(request(['Task'], [chain]))).toBeUndefined();
    const has = { kind: 'has', targetType: 'Observation', param: 'subject', inner: [] } as unknown as Filter;
    expect(typesReadBy(request(['Patient'], [subject, has]))).toBeUndefined();
  });

  test('a search of every type reads any type', () => {
    expect(typesReadBy(request([], [url]))).toBeUndefined();
  });
});
