import { join } from 'node:path';
import fc from 'fast-check';
import { VALID_DIR, jsonFilesUnder, readJsonFile, ROOT, sharedValidator } from './fixtures';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every (container, key) pair of a JSON value, so that a test can replace any one of them. */
function slots(value: Json): Array<[Json[] | { [key: string]: Json }, string | number]> {
  const found: Array<[Json[] | { [key: string]: Json }, string | number]> = [];
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        found.push([node, i]);
        visit(child);
      });
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        found.push([node, key]);
        visit(child);
      }
    }
  };
  visit(value);
  return found;
}

describe('the validator on arbitrary input', () => {
  const examples = jsonFilesUnder(VALID_DIR).map((f) => readJsonFile<Json>(join(ROOT, f)));

  it('never throws, and every issue has a severity, a code, diagnostics and a location', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.jsonValue(), (which, where, replacement) => {
        const resource = structuredClone(examples[which % examples.length]);
        const candidates = slots(resource);
        const [container, key] = candidates[where % candidates.length];
        (container as Record<string | number, Json>)[key] = replacement as Json;
        const issues = sharedValidator().validate(resource);
        for (const issue of issues) {
          expect(issue.severity).toMatch(/^(error|warning|information|fatal)$/);
          expect(issue.code).toEqual(expect.any(String));
          expect(issue.diagnostics).toEqual(expect.any(String));
          expect(issue.expression?.[0]).toMatch(/^[A-Z][A-Za-z]+(\.|$)/);
        }
      }),
      { numRuns: 300 },
    );
  });
});
