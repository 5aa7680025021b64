import type { Coding } from 'fhir/r4';
import { FhirError } from '../fhir-error';
import { checkFhirPathExpression, withinBudget, type FhirPathBudget } from '../fhirpath-limits';
import { fhirpathEngine, r4Model } from '../fhirpath-r4';
import type { Expansion } from '../terminology/value-set-expander';

export type ConditionResult = { ok: true; value: boolean } | { ok: false; message: string };

type CompiledExpression = (resource: unknown, variables: Record<string, unknown>, options?: object) => unknown;

/**
 * The expansions `memberOf` answers from during one evaluation. Compiled expressions are shared
 * between calls, so the function they hold reads the expansions of the evaluation running now
 * (evaluation is synchronous: no other one can interleave).
 */
const NO_VALUE_SETS: ReadonlyMap<string, Expansion> = new Map();
let currentValueSets = NO_VALUE_SETS;
const invocationTable = {
  memberOf: { fn: (input: unknown[], urls: unknown[]) => memberOf(currentValueSets)(input, urls), arity: { 1: ['Any' as const] } },
};

/** Parsed expressions, most recent last: parsing costs about a millisecond, evaluating far less. */
const compiledExpressions = new Map<string, CompiledExpression>();
const MAX_COMPILED = 500;

function compiled(expression: string): CompiledExpression {
  let fn = compiledExpressions.get(expression);
  if (fn === undefined) {
    fn = fhirpathEngine().compile(expression, r4Model(), { async: false, userInvocationTable: invocationTable }) as CompiledExpression;
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
 * `memberOf(url)` (FHIRPath R4 terminology function) is answered from `valueSets`, the
 * expansions the caller looked up beforehand, so that a condition names a ValueSet instead of
 * repeating its codes; a ValueSet not among them is an error, not a silent false.
 *
 * The result is true only for a single `true`; an empty result or `false` is false; anything
 * else (several values, a non-boolean, a syntax or runtime error) is an error. Conditions come
 * from clients: an expression over the FHIRPath limits (fhirpath-limits.ts) throws a 400
 * FhirError instead.
 */
export function evaluateCondition(
  expression: string,
  context: unknown,
  variables: Record<string, unknown>,
  valueSets: ReadonlyMap<string, Expansion> = new Map(),
  budget?: FhirPathBudget,
): ConditionResult {
  checkFhirPathExpression(expression);
  let result: unknown;
  try {
    currentValueSets = valueSets;
    const input = structuredClone(context ?? {});
    const env = structuredClone(variables);
    const evaluate = compiled(expression);
    result = withinBudget((options) => evaluate(input, env, options), { shared: budget });
  } catch (error) {
    if (error instanceof FhirError) throw error;
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    currentValueSets = NO_VALUE_SETS;
  }
  if (!Array.isArray(result)) return { ok: false, message: 'the expression did not give a collection' };
  if (result.length === 0) return { ok: true, value: false };
  if (result.length === 1 && typeof result[0] === 'boolean') return { ok: true, value: result[0] };
  return {
    ok: false,
    message: `the expression must give one boolean, it gave ${JSON.stringify(result).slice(0, 200)}`,
  };
}

/** The plain value of an item fhirpath hands a function (it wraps resource elements in nodes). */
function plain(item: unknown): unknown {
  return typeof item === 'object' && item !== null && 'data' in item ? (item as { data: unknown }).data : item;
}

/**
 * `memberOf`: true when the input (one code, Coding or CodeableConcept) has a coding in the
 * value set, false when it has none, empty for an empty input (FHIRPath R4 §terminology).
 */
function memberOf(valueSets: ReadonlyMap<string, Expansion>) {
  return (input: unknown[], urls: unknown[]): boolean[] => {
    const url = urls.map(plain)[0];
    if (urls.length !== 1 || typeof url !== 'string') throw new Error('memberOf() takes one ValueSet URL');
    const codes = valueSets.get(url.split('|')[0]);
    if (codes === undefined) throw new Error(`memberOf(): the ValueSet ${url} is not known to this server`);
    if (input.length === 0) return [];
    if (input.length > 1) throw new Error('memberOf() takes one code, Coding or CodeableConcept');
    const value = plain(input[0]);
    const codings: Coding[] =
      typeof value === 'string'
        ? [{ code: value }]
        : typeof value === 'object' && value !== null && 'coding' in value
          ? ((value as { coding?: Coding[] }).coding ?? [])
          : [value as Coding];
    return [codings.some((c) => c.code !== undefined && codes.contains(c.system, c.code) === true)];
  };
}

/** The values an expression gives on a resource (R4 model), or an error message. */
export function evaluateValues(
  expression: string,
  input: unknown,
): { ok: true; values: unknown[] } | { ok: false; message: string } {
  checkFhirPathExpression(expression);
  try {
    const compiled = fhirpathEngine().compile(expression, r4Model(), { async: false });
    const data = structuredClone(input);
    const result: unknown = withinBudget((options) => compiled(data, {}, options));
    return Array.isArray(result)
      ? { ok: true, values: result }
      : { ok: false, message: 'the expression did not give a collection' };
  } catch (error) {
    if (error instanceof FhirError) throw error;
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
