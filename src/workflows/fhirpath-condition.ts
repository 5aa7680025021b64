import { fhirpathEngine, r4Model } from '../fhir/fhirpath-r4';

export type ConditionResult = { ok: true; value: boolean } | { ok: false; message: string };

type CompiledExpression = (resource: unknown, variables: Record<string, unknown>) => unknown;

/** Parsed expressions, most recent last: parsing costs about a millisecond, evaluating far less. */
const compiledExpressions = new Map<string, CompiledExpression>();
const MAX_COMPILED = 500;

function compiled(expression: string): CompiledExpression {
  let fn = compiledExpressions.get(expression);
  if (fn === undefined) {
    fn = fhirpathEngine().compile(expression, r4Model(), { async: false }) as CompiledExpression;
    if (compiledExpressions.size >= MAX_COMPILED) compiledExpressions.delete(compiledExpressions.keys().next().value!);
    compiledExpressions.set(expression, fn);
  }
  return fn;
}

/**
 * Evaluates a FHIRPath condition with the `fhirpath` package and the R4 model (needed for
 * choice types: `answer.value` finds valueBoolean/valueCoding). Synchronous, so `resolve()` is
 * not available (docs/NOTES: it is asynchronous in fhirpath 5). Every variable the expression
 * names must be a key of `variables`, even when its value is null (an absent key throws).
 * The inputs are copied first: fhirpath may annotate the objects it walks.
 *
 * The result is true only for a single `true`; an empty result or `false` is false; anything
 * else (several values, a non-boolean, a syntax or runtime error) is an error.
 */
export function evaluateCondition(
  expression: string,
  context: unknown,
  variables: Record<string, unknown>,
): ConditionResult {
  let result: unknown;
  try {
    result = compiled(expression)(structuredClone(context ?? {}), structuredClone(variables));
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (!Array.isArray(result)) return { ok: false, message: 'the expression did not give a collection' };
  if (result.length === 0) return { ok: true, value: false };
  if (result.length === 1 && typeof result[0] === 'boolean') return { ok: true, value: result[0] };
  return {
    ok: false,
    message: `the expression must give one boolean, it gave ${JSON.stringify(result).slice(0, 200)}`,
  };
}

/** The values an expression gives on a resource (R4 model), or an error message. */
export function evaluateValues(
  expression: string,
  input: unknown,
): { ok: true; values: unknown[] } | { ok: false; message: string } {
  try {
    const result: unknown = fhirpathEngine().evaluate(structuredClone(input), expression, {}, r4Model(), {
      async: false,
    });
    return Array.isArray(result)
      ? { ok: true, values: result }
      : { ok: false, message: 'the expression did not give a collection' };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
