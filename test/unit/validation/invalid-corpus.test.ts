import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { hasErrors } from '../../../src/fhir/validation';
import { INVALID_DIR, ROOT, readJsonFile, sharedValidator } from './fixtures';

/**
 * test/fixtures/invalid/<name>.json is a valid resource (`source`) with one thing changed
 * (`mutation`); <name>.expected.json names the issue(s) the validator must report for it.
 */
interface Expectation {
  source: string;
  mutation: string;
  issues: Array<{ expression: string; code: string }>;
}

const cases = readdirSync(INVALID_DIR)
  .filter((f) => f.endsWith('.expected.json'))
  .sort()
  .map((f) => {
    const name = f.slice(0, -'.expected.json'.length);
    return {
      name,
      resource: readJsonFile(join(INVALID_DIR, `${name}.json`)),
      expected: readJsonFile<Expectation>(join(INVALID_DIR, f)),
    };
  });

describe('the invalid-resource corpus', () => {
  it('holds at least 30 resources, each with its expected issues', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const resources = readdirSync(INVALID_DIR).filter(
      (f) => f.endsWith('.json') && !f.endsWith('.expected.json'),
    );
    expect(resources.sort()).toEqual(cases.map((c) => `${c.name}.json`));
  });

  it.each(cases)('$name: reports the expected issue ($expected.mutation)', ({ resource, expected }) => {
    const issues = sharedValidator().validate(resource);
    expect(hasErrors(issues)).toBe(true);
    for (const want of expected.issues) {
      const found = issues.filter(
        (i) => i.severity === 'error' && i.code === want.code && i.expression?.[0] === want.expression,
      );
      if (found.length === 0) {
        throw new Error(
          `expected a '${want.code}' error at ${want.expression}; got:\n${JSON.stringify(issues, null, 2)}`,
        );
      }
      expect(found[0].diagnostics).toEqual(expect.any(String));
    }
  });

  it.each(cases)(
    '$name: its source is valid, so the one mutation is what the validator reports',
    ({ resource, expected }) => {
      const source = readJsonFile(join(ROOT, expected.source));
      expect(source).not.toEqual(resource);
      expect(
        sharedValidator()
          .validate(source)
          .filter((i) => i.severity === 'error'),
      ).toEqual([]);
    },
  );
});
