import type { Coding, Extension, Questionnaire, QuestionnaireResponse } from 'fhir/r4';
import { FOLLOW_UP_RULE_URL } from './codes';
import { evaluateCondition, requestBudget } from '../fhir/fhirpath/evaluate';

/**
 * A follow-up rule of a Questionnaire (extension {base}/StructureDefinition/follow-up-rule,
 * docs/conventions.md): when `expression` is true for a response, the care team must be told
 * about `concern`. The rules are content, not code: this module only reads and runs them.
 */
export interface FollowUpRule {
  concern: Coding;
  expression: string;
  description: string | undefined;
  /** Where the rule sits, e.g. `Questionnaire.extension[3]`. */
  location: string;
}

export interface FollowUpEvaluation {
  /** Rules whose expression was true, in the order the Questionnaire lists them. */
  raised: FollowUpRule[];
  /** Rules that could not be evaluated (a content error: reported, never raised). */
  failed: { rule: FollowUpRule; message: string }[];
}

export function readFollowUpRules(questionnaire: Questionnaire): FollowUpRule[] {
  const rules: FollowUpRule[] = [];
  (questionnaire.extension ?? []).forEach((extension, i) => {
    if (extension.url !== FOLLOW_UP_RULE_URL) return;
    const concern = part(extension, 'concern')?.valueCoding;
    const expression = part(extension, 'expression')?.valueExpression;
    if (
      concern?.code === undefined ||
      expression?.expression === undefined ||
      expression.language !== 'text/fhirpath'
    )
      return;
    rules.push({
      concern,
      expression: expression.expression,
      description: expression.description,
      location: `Questionnaire.extension[${i}]`,
    });
  });
  return rules;
}

function part(extension: Extension, url: string): Extension | undefined {
  return extension.extension?.find((e) => e.url === url);
}

/** Runs every rule with the response as context and as %resource (fhirpath 5 does not set %resource itself). */
export function evaluateFollowUpRules(
  questionnaire: Questionnaire,
  response: QuestionnaireResponse,
): FollowUpEvaluation {
  const evaluation: FollowUpEvaluation = { raised: [], failed: [] };
  const budget = requestBudget();
  for (const rule of readFollowUpRules(questionnaire)) {
    const result = evaluateCondition(rule.expression, response, { resource: response }, undefined, budget);
    if (!result.ok) evaluation.failed.push({ rule, message: result.message });
    else if (result.value) evaluation.raised.push(rule);
  }
  return evaluation;
}
