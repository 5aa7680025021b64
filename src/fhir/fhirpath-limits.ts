import { FhirError } from './fhir-error';

/**
 * Limits on FHIRPath that clients write (PlanDefinition conditions, Questionnaire
 * expressions, stored SearchParameters): an expression is checked before it is parsed, and
 * its evaluation is stopped once it runs longer than the time budget or builds a collection
 * larger than allowed. Evaluation is synchronous and holds the event loop, so the budget is
 * also the longest time one evaluation can hold up every other request. Over a limit: 400
 * `too-costly`.
 */
export interface FhirPathLimits {
  /** Characters of one expression. */
  maxLength: number;
  /** Nesting of parentheses, brackets and braces (each function call's arguments count one). */
  maxNesting: number;
  /** Items of any collection the evaluation builds. */
  maxCollection: number;
  /** Milliseconds one evaluation may run. */
  timeBudgetMs: number;
}

export const FHIRPATH_LIMITS: Readonly<FhirPathLimits> = {
  maxLength: 4000,
  maxNesting: 32,
  maxCollection: 10_000,
  timeBudgetMs: 250,
};

function tooCostly(diagnostics: string, location: string | undefined): FhirError {
  return FhirError.of(400, 'too-costly', diagnostics, location);
}

/** Refuses an expression longer or more deeply nested than the limits allow, before any parsing. */
export function checkFhirPathExpression(expression: string, location?: string, limits: FhirPathLimits = FHIRPATH_LIMITS): void {
  if (expression.length > limits.maxLength) {
    throw tooCostly(`The FHIRPath expression has ${expression.length} characters; at most ${limits.maxLength} are evaluated`, location);
  }
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') {
      if (++depth > limits.maxNesting) {
        throw tooCostly(`The FHIRPath expression nests deeper than ${limits.maxNesting} levels of parentheses`, location);
      }
    } else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
}

/**
 * Options for one evaluation by the `fhirpath` package: its `debugger` hook runs after every
 * node of the expression is evaluated, and stops the evaluation (by throwing) past the time
 * budget or on a collection over the size limit. Build a new one for each evaluation: the
 * clock starts here.
 */
export function budgetOptions(
  location?: string,
  subject = 'The FHIRPath expression',
  limits: FhirPathLimits = FHIRPATH_LIMITS,
): { debugger: (ctx: unknown, input: unknown, result: unknown) => void } {
  const deadline = Date.now() + limits.timeBudgetMs;
  let steps = 0;
  return {
    debugger: (_ctx, _input, result) => {
      if (Array.isArray(result) && result.length > limits.maxCollection) {
        throw tooCostly(`${subject} built a collection of more than ${limits.maxCollection} items`, location);
      }
      // Reading the clock at every node would cost more than most evaluations.
      if ((++steps & 63) === 0 && Date.now() > deadline) {
        throw tooCostly(`${subject} ran longer than its budget of ${limits.timeBudgetMs} ms and was stopped`, location);
      }
    },
  };
}
