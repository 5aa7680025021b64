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

describe('validation leaves its input alone', () => {
  const examples = jsonFilesUnder(VALID_DIR).map((f) => readJsonFile<Record<string, unknown>>(join(ROOT, f)));

  it('does not modify the resource it validates', () => {
    for (const example of examples) {
      const before = JSON.stringify(example);
      sharedValidator().validate(example);
      expect(JSON.stringify(example)).toBe(before);
    }
  });
});
