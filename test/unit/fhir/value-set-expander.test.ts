import type { CodeSystem, ValueSet } from 'fhir/r4';
import { ExpansionError, ValueSetExpander, type TerminologySource } from '../../../src/fhir/terminology/value-set-expander';

const CS = 'http://example.org/cs/risk';
const codeSystem: CodeSystem = {
  resourceType: 'CodeSystem',
  url: CS,
  status: 'active',
  content: 'complete',
  concept: [
    { code: 'general', display: 'General', concept: [{ code: 'bleeding', display: 'Bleeding' }, { code: 'infection' }] },
    { code: 'specific', concept: [{ code: 'nerve-damage' }], property: [{ code: 'severity', valueCode: 'high' }] },
  ],
};

function source(valueSets: ValueSet[]): TerminologySource {
  const byUrl = new Map(valueSets.map((v) => [v.url!, v]));
  return { valueSet: (url) => byUrl.get(url), codeSystem: (url) => (url === CS ? codeSystem : undefined) };
}
const vs = (id: string, compose: ValueSet['compose']): ValueSet => ({ resourceType: 'ValueSet', url: `http://example.org/vs/${id}`, status: 'active', compose });
const url = (id: string) => `http://example.org/vs/${id}`;
const codes = (expander: ValueSetExpander, id: string) => expander.expand(url(id)).concepts.map((c) => c.code).sort();

function expansionError(run: () => unknown): ExpansionError {
  try {
    run();
  } catch (error) {
    if (error instanceof ExpansionError) return error;
    throw error;
  }
  throw new Error('expected an ExpansionError');
}

describe('ValueSetExpander (R4 compose rules)', () => {
  it('intersects include.valueSet with include.system instead of uniting them', () => {
    const expander = new ValueSetExpander(
      source([
        vs('general', { include: [{ system: CS, filter: [{ property: 'concept', op: 'is-a', value: 'general' }] }] }),
        vs('pair', { include: [{ system: CS, concept: [{ code: 'bleeding' }, { code: 'nerve-damage' }] }] }),
        vs('both', { include: [{ system: CS, valueSet: [url('general')], concept: [{ code: 'bleeding' }, { code: 'nerve-damage' }] }] }),
        vs('two-imports', { include: [{ valueSet: [url('general'), url('pair')] }] }),
      ]),
    );
    expect(codes(expander, 'both')).toEqual(['bleeding']);
    expect(codes(expander, 'two-imports')).toEqual(['bleeding']);
  });

  it('subtracts compose.exclude, also when the excluded codes come from an imported value set', () => {
    const expander = new ValueSetExpander(
      source([
        vs('pair', { include: [{ system: CS, concept: [{ code: 'bleeding' }, { code: 'nerve-damage' }] }] }),
        vs('all-but-pair', { include: [{ system: CS }], exclude: [{ valueSet: [url('pair')] }] }),
      ]),
    );
    expect(codes(expander, 'all-but-pair')).toEqual(['general', 'infection', 'specific']);
  });

  it('takes displays from the code system and filters on properties', () => {
    const expander = new ValueSetExpander(
      source([
        vs('listed', { include: [{ system: CS, concept: [{ code: 'bleeding' }] }] }),
        vs('severe', { include: [{ system: CS, filter: [{ property: 'severity', op: '=', value: 'high' }] }] }),
      ]),
    );
    expect(expander.expand(url('listed')).concepts).toEqual([{ system: CS, code: 'bleeding', display: 'Bleeding' }]);
    expect(codes(expander, 'severe')).toEqual(['specific']);
  });

  it('keeps a whole external system open: matched by system, never listed or guessed code by code', () => {
    const expander = new ValueSetExpander(source([vs('snomed', { include: [{ system: 'http://snomed.info/sct' }] })]));
    const expansion = expander.expand(url('snomed'));
    expect(expansion.openSystems).toEqual(['http://snomed.info/sct']);
    expect(expansion.contains('http://snomed.info/sct', '123')).toBeUndefined();
    expect(expansion.contains(CS, 'bleeding')).toBe(false);
  });

  it('refuses a value set that includes itself, directly or through another, naming the cycle', () => {
    const expander = new ValueSetExpander(
      source([
        vs('self', { include: [{ valueSet: [url('self')] }, { system: CS, concept: [{ code: 'bleeding' }] }] }),
        vs('a', { include: [{ valueSet: [url('b')] }] }),
        vs('b', { include: [{ valueSet: [url('a')] }] }),
      ]),
    );
    const self = expansionError(() => expander.expand(url('self')));
    expect(self.reason).toBe('cycle');
    expect(self.message).toContain(`${url('self')} -> ${url('self')}`);
    expect(expansionError(() => expander.expand(url('a'))).message).toContain(`${url('a')} -> ${url('b')} -> ${url('a')}`);
  });

  it('refuses expansions beyond its limits as too costly', () => {
    const many = vs('many', { include: [{ system: 'urn:example:big', concept: Array.from({ length: 50 }, (_, i) => ({ code: `c${i}` })) }] });
    expect(expansionError(() => new ValueSetExpander(source([many]), { maxCodes: 20, maxValueSets: 5 }).expand(url('many'))).reason).toBe('too-costly');
    const chain = Array.from({ length: 10 }, (_, i) => vs(`chain${i}`, { include: [{ valueSet: [url(`chain${i + 1}`)] }] }));
    chain.push(vs('chain10', { include: [{ system: CS }] }));
    expect(expansionError(() => new ValueSetExpander(source(chain), { maxCodes: 100, maxValueSets: 5 }).expand(url('chain0'))).reason).toBe('too-costly');
  });

  it('refuses what it cannot evaluate exactly: unknown imports, filters on systems it does not hold, exclusions from open systems', () => {
    const expander = new ValueSetExpander(
      source([
        vs('imports-missing', { include: [{ valueSet: [url('missing')] }] }),
        vs('snomed-filter', { include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '1' }] }] }),
        vs('open-minus', { include: [{ system: 'http://snomed.info/sct' }], exclude: [{ system: 'http://snomed.info/sct', concept: [{ code: '1' }] }] }),
      ]),
    );
    expect(expansionError(() => expander.expand(url('imports-missing'))).reason).toBe('not-found');
    expect(expansionError(() => expander.expand(url('snomed-filter'))).reason).toBe('not-supported');
    expect(expansionError(() => expander.expand(url('open-minus'))).reason).toBe('not-supported');
  });
});
