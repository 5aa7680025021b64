import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlanDefinition, Questionnaire, Resource } from 'fhir/r4';
import {
  createValidator,
  loadConformanceResources,
  type ResourceValidator,
} from '../../../src/fhir/validation';

const ROOT = join(__dirname, '..', '..', '..');

export function contentFile<T>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'content', name), 'utf8')) as T;
}

export const preopQuestionnaire = () => contentFile<Questionnaire>('Questionnaire-foraminotomy-preop.json');
export const foraminotomyPlan = () => contentFile<PlanDefinition>('PlanDefinition-foraminotomy.json');

let validator: ResourceValidator | undefined;

/** The server's validator (base R4 + profiles/ + the content's code systems), built once per file. */
export function r4Validator(): ResourceValidator {
  if (!validator) {
    const terminology = ['CodeSystem-preop-answer.json', 'CodeSystem-procedure-risk.json'].map((f) =>
      contentFile<Resource>(f),
    );
    validator = createValidator([...loadConformanceResources(join(ROOT, 'profiles')), ...terminology]);
  }
  return validator;
}

/** The errors the validator finds (warnings dropped), as `expression: diagnostics` lines. */
export function validationErrors(resource: Resource): string[] {
  return r4Validator()
    .validate(resource)
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.expression?.join(',') ?? ''}: ${i.diagnostics ?? i.code}`);
}
