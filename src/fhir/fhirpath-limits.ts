import { FhirError } from './fhir-error';

/**
 * Limits on FHIRPath that clients write (PlanDefinition conditions, Questionnaire
 * expressions, stored SearchParameters): an expression is checked before it is parsed, and
 * its evaluation is stopped once it runs longer than the time budget or builds a collection
 * larger than allowed. Evaluation is synchronous and holds the event loop, so the budget is
 * also the longest time one evaluation can hold up every other request; the evaluations of one
 * request (a plan's conditions) share a request budget besides. Over a limit: 400 `too-costly`.
 */
export interface FhirPathLimits {
  /** Characters of one expression. */
  maxLength: number;
  /** Nesting of parentheses, brackets and braces (each function call's arguments count one). */
  maxNesting: number;
  /** Items of any collection the evaluation builds. */
  maxCollection: number;
  /** Milliseconds (CPU time) one evaluation may run. */
  timeBudgetMs: number;
  /** Milliseconds all the evaluations of one request may run together (a plan's conditions). */
  requestBudgetMs: number;
}

/** A time budget shared by the evaluations of one request. */
export interface FhirPathBudget {
  remainingMs: number;
}

export const FHIRPATH_LIMITS: Readonly<FhirPathLimits> = {
  maxLength: 4000,
  maxNesting: 32,
  maxCollection: 10_000,
  timeBudgetMs: 250,
  requestBudgetMs: 1000,
};

/** The budget of one request's evaluations: each stops at its own limit or when this one is spent, whichever comes first. */
export function requestBudget(limits: FhirPathLimits = FHIRPATH_LIMITS): FhirPathBudget {
  return { remainingMs: limits.requestBudgetMs };
}

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

/** CPU time of this process in milliseconds: unlike the wall clock, it does not run on while the machine serves others. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

type Debugger = (ctx: unknown, input: unknown, result: unknown) => void;

/**
 * Runs one evaluation by the `fhirpath` package within the limits: `evaluate` gets options
 * whose `debugger` hook runs after every node of the expression is evaluated and stops the
 * evaluation (by throwing) past the time budget or on a collection over the size limit. Parse
 * the expression before (compile), so that only evaluation is timed. Time is the process's CPU
 * time, so a busy machine does not turn ordinary expressions into refusals. With `shared`, the
 * time spent also counts against the request's budget.
 */
export function withinBudget<T>(
  evaluate: (options: { debugger: Debugger }) => T,
  context: { location?: string; subject?: string; shared?: FhirPathBudget } = {},
  limits: FhirPathLimits = FHIRPATH_LIMITS,
): T {
  const { location, subject = 'The FHIRPath expression', shared } = context;
  const started = cpuMs();
  const fromRequest = shared !== undefined && shared.remainingMs < limits.timeBudgetMs;
  const allowed = fromRequest ? shared.remainingMs : limits.timeBudgetMs;
  let steps = 0;
  const options = {
    debugger: (_ctx: unknown, _input: unknown, result: unknown) => {
      if (Array.isArray(result) && result.length > limits.maxCollection) {
        throw tooCostly(`${subject} built a collection of more than ${limits.maxCollection} items`, location);
      }
      // Reading the clock at every node would cost more than most evaluations.
      if ((++steps & 63) === 0 && cpuMs() - started > allowed) {
        throw tooCostly(
          fromRequest
            ? `The FHIRPath expressions of this request ran longer than their budget of ${limits.requestBudgetMs} ms together; evaluation was stopped`
            : `${subject} ran longer than its budget of ${limits.timeBudgetMs} ms and was stopped`,
          location,
        );
      }
    },
  };
  try {
    return evaluate(options);
  } finally {
    if (shared !== undefined) shared.remainingMs -= cpuMs() - started;
  }
}
