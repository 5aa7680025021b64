import { join } from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4';
import { VALID_DIR, contentResources, jsonFilesUnder, readJsonFile, ROOT, sharedValidator } from './fixtures';

const errorsOf = (issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] =>
  issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');

describe('valid resources pass', () => {
  const examples = jsonFilesUnder(VALID_DIR);

  it('has valid examples of every profiled type', () => {
    const types = examples.map((f) => readJsonFile<{ resourceType: string }>(join(ROOT, f)).resourceType);
    expect(types).toEqual(
      expect.arrayContaining([
        'PlanDefinition',
        'DocumentReference',
        'Questionnaire',
        'Task',
        'QuestionnaireResponse',
      ]),
    );
  });

  it.each(examples)('%s has no errors', (file) => {
    expect(errorsOf(sharedValidator().validate(readJsonFile(join(ROOT, file))))).toEqual([]);
  });

  const content = contentResources();
  if (content.length === 0) {
    it('content/ holds no resources yet, so there is no library to check', () => {
      expect(content).toEqual([]);
    });
  } else {
    it.each(content.map((c) => [c.file, c.resource] as const))(
      'the library file %s conforms to the base spec and our profiles',
      (_file, resource) => {
        expect(errorsOf(sharedValidator().validate(resource))).toEqual([]);
      },
    );
  }
});

describe('validation is safe and fast enough to run on every write', () => {
  const examples = jsonFilesUnder(VALID_DIR).map((f) => readJsonFile<Record<string, unknown>>(join(ROOT, f)));

  it('does not modify the resource it validates', () => {
    for (const example of examples) {
      const before = JSON.stringify(example);
      sharedValidator().validate(example);
      expect(JSON.stringify(example)).toBe(before);
    }
  });

  it('takes a few milliseconds per resource once the definitions are indexed', () => {
    const validator = sharedValidator();
    for (const example of examples) validator.validate(example); // warm-up
    // The fastest of several rounds, so that other processes on a busy machine do not count.
    let fastest = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 7; round++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 5; i++) for (const example of examples) validator.validate(example);
      fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6 / (5 * examples.length));
    }
    // About 1 ms per example on an idle 2-core machine; the bound leaves room for a loaded one.
    expect(fastest).toBeLessThan(10);
  });
});
