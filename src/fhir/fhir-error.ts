import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import { issue, operationOutcome, type IssueCode } from './operation-outcome';

/**
 * The one error type of the server: an HTTP status and the OperationOutcome that
 * explains it. Thrown anywhere, turned into a response by the single error handler.
 */
export class FhirError extends Error {
  readonly outcome: OperationOutcome;

  constructor(
    readonly status: number,
    issues: OperationOutcomeIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues.map((i) => i.diagnostics ?? i.code).join('; '));
    this.outcome = operationOutcome(issues);
  }

  static of(status: number, code: IssueCode, diagnostics: string, expression?: string | string[]): FhirError {
    return new FhirError(status, [issue('error', code, diagnostics, expression)]);
  }

  static badRequest(diagnostics: string, expression?: string | string[]): FhirError {
    return FhirError.of(400, 'invalid', diagnostics, expression);
  }

  static notFound(diagnostics: string, expression?: string | string[]): FhirError {
    return FhirError.of(404, 'not-found', diagnostics, expression);
  }

  static gone(diagnostics: string): FhirError {
    return FhirError.of(410, 'deleted', diagnostics);
  }

  static conflict(diagnostics: string): FhirError {
    return FhirError.of(409, 'conflict', diagnostics);
  }

  static preconditionFailed(diagnostics: string, expression?: string): FhirError {
    return FhirError.of(412, 'conflict', diagnostics, expression);
  }

  static unprocessable(issues: OperationOutcomeIssue[]): FhirError {
    return new FhirError(422, issues);
  }
}
