import type { ReferenceValue } from '../../../src/fhir/search/index-values';
import { matchesReferenceFilter, referenceMatches } from '../../../src/fhir/search/reference-match';

const BASE = 'https://fhir.example.org/fhir';

function value(over: Partial<ReferenceValue>): ReferenceValue {
  return { param: 'subject', targetType: 'Patient', targetId: 'p1', url: null, version: null, ...over };
}

describe('referenceMatches (the in-memory twin of the SQL for a reference search)', () => {
  test('a local search value matches a relative reference and one absolute under our base, not one elsewhere', () => {
    const wanted = { targetType: 'Patient', id: 'p1', localBase: BASE };
    expect(referenceMatches(value({}), wanted)).toBe(true);
    expect(referenceMatches(value({ url: `${BASE}/Patient/p1` }), wanted)).toBe(true);
    expect(referenceMatches(value({ url: 'https://elsewhere.org/fhir/Patient/p1' }), wanted)).toBe(false);
    // A base that is only a prefix of the reference's host path is not the base.
    expect(referenceMatches(value({ url: `${BASE}x/Patient/p1` }), wanted)).toBe(false);
  });

  test('every part the search value gives must be equal', () => {
    expect(referenceMatches(value({}), { targetType: 'Patient', id: 'p2' })).toBe(false);
    expect(referenceMatches(value({}), { targetType: 'Group', id: 'p1' })).toBe(false);
    expect(referenceMatches(value({}), { id: 'p1' })).toBe(true);
    const canonical = value({ targetType: null, targetId: null, url: 'http://x.org/Questionnaire/q', version: '2' });
    expect(referenceMatches(canonical, { url: 'http://x.org/Questionnaire/q' })).toBe(true);
    expect(referenceMatches(canonical, { url: 'http://x.org/Questionnaire/q', version: '1' })).toBe(false);
  });

  test('matchesReferenceFilter: only values of the filter parameter, any of its values', () => {
    const values = [value({ param: 'owner', targetId: 'p9' }), value({})];
    const filter = (param: string, ids: string[]) => ({
      kind: 'reference' as const,
      param,
      values: ids.map((id) => ({ targetType: 'Patient', id })),
    });
    expect(matchesReferenceFilter(values, filter('subject', ['p0', 'p1']))).toBe(true);
    expect(matchesReferenceFilter(values, filter('subject', ['p9']))).toBe(false);
    expect(matchesReferenceFilter(values, filter('owner', ['p9']))).toBe(true);
    expect(matchesReferenceFilter([], filter('subject', ['p1']))).toBe(false);
  });
});
