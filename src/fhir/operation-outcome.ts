import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

export function issue(
  severity: IssueSeverity,
  code: IssueCode,
  diagnostics: string,
  expression?: string | string[],
): OperationOutcomeIssue {
  const result: OperationOutcomeIssue = { severity, code, diagnostics };
  if (expression !== undefined) result.expression = Array.isArray(expression) ? expression : [expression];
  return result;
}

export function operationOutcome(issues: OperationOutcomeIssue[], id?: string): OperationOutcome {
  const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: issues };
  if (id !== undefined) outcome.id = id;
  return outcome;
}

export function informationOutcome(diagnostics: string): OperationOutcome {
  return operationOutcome([issue('information', 'informational', diagnostics)]);
}
