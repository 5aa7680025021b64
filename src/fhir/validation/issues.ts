import type { OperationOutcomeIssue } from 'fhir/r4';

/** The issue codes the validator reports (a subset of http://hl7.org/fhir/issue-type). */
export type ValidationIssueCode =
  | 'invalid'
  | 'required'
  | 'structure'
  | 'value'
  | 'invariant'
  | 'code-invalid'
  | 'not-supported'
  | 'processing'
  | 'too-long'
  | 'business-rule';

export function validationIssue(
  code: ValidationIssueCode,
  diagnostics: string,
  expression: string,
  severity: OperationOutcomeIssue['severity'] = 'error',
): OperationOutcomeIssue {
  return { severity, code, diagnostics, expression: [expression] };
}

/** Drops exact repeats (same severity, code, location and text), keeping the first. */
export function dedupeIssues(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  const result: OperationOutcomeIssue[] = [];
  for (const issue of issues) {
    const key = `${issue.severity}|${issue.code}|${(issue.expression ?? []).join(',')}|${issue.diagnostics ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(issue);
  }
  return result;
}
