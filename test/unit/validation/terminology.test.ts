import type { CodeSystem, ValueSet } from 'fhir/r4';
import { Terminology } from '../../../src/fhir/validation/terminology';

const codeSystem: CodeSystem = {
  resourceType: 'CodeSystem',
  url: 'http://example.org/cs/risk',
  status: 'active',
  content: 'complete',
  concept: [
    { code: 'general', concept: [{ code: 'bleeding' }, { code: 'infection' }] },
    { code: 'specific', concept: [{ code: 'nerve-damage' }] },
  ],
};
const valueSet = (id: string, compose: ValueSet['compose']): ValueSet => ({
  resourceType: 'ValueSet',
  url: `http://example.org/vs/${id}`,
  status: 'active',
  compose,
});
const terminology = new Terminology([
  codeSystem,
  valueSet('all', { include: [{ system: codeSystem.url }] }),
  valueSet('general', {
    include: [{ system: codeSystem.url, filter: [{ property: 'concept', op: 'is-a', value: 'general' }] }],
  }),
  valueSet('below-general', {
    include: [
      { system: codeSystem.url, filter: [{ property: 'concept', op: 'descendent-of', value: 'general' }] },
    ],
  }),
  valueSet('all-but-bleeding', {
    include: [{ system: codeSystem.url }],
    exclude: [{ system: codeSystem.url, concept: [{ code: 'bleeding' }] }],
  }),
  valueSet('imported', { include: [{ valueSet: ['http://example.org/vs/general'] }] }),
  valueSet('snomed', { include: [{ system: 'http://snomed.info/sct' }] }),
  valueSet('regex', {
    include: [{ system: codeSystem.url, filter: [{ property: 'code', op: 'regex', value: 'b.*' }] }],
  }),
  valueSet('cycle-a', { include: [{ valueSet: ['http://example.org/vs/cycle-b'] }] }),
  valueSet('cycle-b', { include: [{ valueSet: ['http://example.org/vs/cycle-a'] }] }),
]);

describe('value set expansion for required bindings', () => {
  it('expands a whole code system, nested concepts included', () => {
    const all = terminology.expand('http://example.org/vs/all|1.0');
    expect(['general', 'bleeding', 'nerve-damage'].every((c) => all?.contains(codeSystem.url, c))).toBe(true);
    expect(all?.contains('http://example.org/other', 'bleeding')).toBe(false);
    expect(all?.contains(undefined, 'bleeding')).toBe(true);
  });

  it('expands is-a and descendent-of filters on the hierarchy', () => {
    expect(terminology.expand('http://example.org/vs/general')?.contains(codeSystem.url, 'general')).toBe(
      true,
    );
    expect(
      terminology.expand('http://example.org/vs/general')?.contains(codeSystem.url, 'nerve-damage'),
    ).toBe(false);
    expect(
      terminology.expand('http://example.org/vs/below-general')?.contains(codeSystem.url, 'general'),
    ).toBe(false);
    expect(
      terminology.expand('http://example.org/vs/below-general')?.contains(codeSystem.url, 'infection'),
    ).toBe(true);
  });

  it('applies excludes and imports', () => {
    expect(
      terminology.expand('http://example.org/vs/all-but-bleeding')?.contains(codeSystem.url, 'bleeding'),
    ).toBe(false);
    expect(
      terminology.expand('http://example.org/vs/all-but-bleeding')?.contains(codeSystem.url, 'infection'),
    ).toBe(true);
    expect(terminology.expand('http://example.org/vs/imported')?.contains(codeSystem.url, 'infection')).toBe(
      true,
    );
  });

  it('expands a regex filter on the codes', () => {
    const regex = terminology.expand('http://example.org/vs/regex');
    expect(regex?.contains(codeSystem.url, 'bleeding')).toBe(true);
    expect(regex?.contains(codeSystem.url, 'general')).toBe(false);
  });

  it('declines what it cannot expand exactly: unknown systems, cycles, unknown value sets', () => {
    for (const id of ['snomed', 'cycle-a', 'missing'])
      expect(terminology.expand(`http://example.org/vs/${id}`)).toBeUndefined();
  });
});
