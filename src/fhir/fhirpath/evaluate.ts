import { parseFhirPath, type FhirPathAtom, type TypedValue } from '@medplum/core';
import { checkFhirPathExpression, withinBudget } from '../fhirpath-limits';
import { fhirpathEngine, r4Model } from '../fhirpath-r4';
import { compileSimplePath } from '../search/simple-path';
import { shortcutFor } from '../validation/invariant-shortcuts';
import { evalFhirPathTyped, toTypedValue } from '../validation/medplum-functions';

/*
 * The one way the server evaluates FHIRPath. There are four engines behind it, and this module
 * picks one per expression and use; nothing else imports them:
 * - plain element paths walked on the JSON (search/simple-path.ts), for search parameters;
 * - shortcuts read from the JSON for invariants that hold whenever the elements they test are
 *   absent (validation/invariant-shortcuts.ts, tree-shortcuts.ts), which only ever say "holds";
 * - @medplum/core's engine, fast, for the invariants it evaluates reliably (NOT_FOR_MEDPLUM);
 * - the `fhirpath` package with the R4 model (fhirpath-r4.ts), the reference: everything else,
 *   every expression a client writes (within the limits of fhirpath-limits.ts), and the
 *   confirmation of every invariant failure.
 * test/unit/fhir/fhirpath-fast-paths.test.ts runs the fast paths against the `fhirpath` package
 * on the same inputs and requires the same answers.
 */

export { checkFhirPathExpression, requestBudget, FHIRPATH_LIMITS, type FhirPathBudget, type FhirPathLimits } from '../fhirpath-limits';
export { evaluateCondition, evaluateValues, type ConditionResult } from './client-expressions';

/** A search parameter's expression, compiled: its values on a resource. `limitedAs` names the client's SearchParameter it comes from, evaluated within the FHIRPath limits. */
export type SearchExpression = (resource: unknown, limitedAs?: string) => unknown[];

type FhirpathFunction = (resource: unknown, context?: Record<string, unknown>, options?: Record<string, unknown>) => unknown[];

/**
 * A search parameter's expression: a plain element path is walked on the JSON (same values as the
 * engine, a fraction of the time); anything else, and every expression with `simplePaths: false`,
 * runs on the `fhirpath` package. Throws what the engine throws; a client's expression over the
 * limits throws a 400 FhirError.
 */
export function compileSearchExpression(expression: string, options: { simplePaths?: boolean } = {}): SearchExpression {
  const walk = options.simplePaths === false ? undefined : compileSimplePath(expression);
  if (walk !== undefined) return (resource) => walk(resource);
  const fn = fhirpathEngine().compile(expression, r4Model()) as FhirpathFunction;
  return (resource, limitedAs) =>
    limitedAs === undefined ? fn(resource) : withinBudget((limits) => fn(resource, {}, limits), { subject: `The expression of SearchParameter ${limitedAs}` });
}

/**
 * The nodes a FHIRPath Patch operation's path selects (the `fhirpath` package's nodes, which know
 * their parent). The path is a client's: it is checked and evaluated within the FHIRPath limits.
 */
export function evaluatePatchPath(resource: unknown, path: string): unknown[] {
  checkFhirPathExpression(path);
  const fn = fhirpathEngine().compile(path, r4Model(), { resolveInternalTypes: false }) as FhirpathFunction;
  return withinBudget((limits) => fn(resource, {}, limits));
}

/**
 * What @medplum/core 4.3.6's FHIRPath engine gets wrong, found on the invalid corpus and the
 * R4 core invariants: `repeat()`, `descendants()`, `children()`, `trim()`, `split()` and the
 * encode/escape family are stubs that return an empty collection (so `repeat(item).all(...)`
 * is always true, and que-2 `descendants().linkId.isDistinct()` never fails), and backslash
 * escapes in string literals are kept as written (so the regular expressions of eld-16 and
 * eld-19 fail on every valid ElementDefinition). It also compares two dateTimes as text, so
 * per-1 (`start <= end`) holds for 10:00Z .. 10:30+01:00 (09:30Z): an ordering of two elements is
 * left to the `fhirpath` package, which compares them as instants.
 */
const NOT_FOR_MEDPLUM = /\b(repeat|descendants|children|trim|split|encode|decode|escape|unescape)\s*\(|\\|\b[a-z][A-Za-z]* <=? [a-z][A-Za-z]*\)/;

/** True when @medplum/core's engine evaluates the expression reliably (see NOT_FOR_MEDPLUM). */
export function medplumCanEvaluate(expression: string): boolean {
  return !NOT_FOR_MEDPLUM.test(expression);
}

export type InvariantOutcome = 'pass' | 'fail' | 'unknown';

/** An invariant, compiled: whether it holds on `node` (`resource`: the resource it is in; `rootResource`: the outermost one). */
export type CompiledInvariant = (node: unknown, resource: unknown, rootResource: unknown) => InvariantOutcome;

/**
 * An invariant (a constraint's expression), compiled once and evaluated on many nodes:
 * a shortcut when one says it certainly holds; else @medplum/core's engine when it can evaluate
 * the expression (0.2 ms for the pre-op Questionnaire's invariants where the `fhirpath` package
 * takes about 7 ms), trusted when it says "holds"; else, and to confirm each failure medplum's
 * engine reports, the `fhirpath` package with the R4 model. A failure is reported only when the
 * reference engine agrees (or cannot evaluate it). An invariant neither engine can evaluate (the
 * `fhirpath` package compiles regular expressions with the `u` flag and refuses escapes such as
 * `\-`) is 'unknown' rather than failed.
 *
 * @param typeName the FHIR type of the nodes (`Period`, `PlanDefinition`), for medplum's engine;
 *   undefined for a backbone element
 * @param modelPath the type or element path (`PlanDefinition.action`) the `fhirpath` package
 *   resolves the nodes' properties with
 */
export function compileInvariant(expression: string, typeName: string | undefined, modelPath: string = typeName ?? ''): CompiledInvariant {
  const shortcut = shortcutFor(expression);
  const medplum = typeName !== undefined && medplumCanEvaluate(expression) ? medplumInvariant(expression, typeName) : undefined;
  const reference = fhirpathInvariant(expression, modelPath);
  return (node, resource, rootResource) => {
    if (shortcut?.(node, resource)) return 'pass';
    const fast = medplum?.(node, resource, rootResource);
    if (fast === true) return 'pass';
    const confirmed = reference(node, resource, rootResource);
    if (confirmed !== undefined) return confirmed ? 'pass' : 'fail';
    return fast === false ? 'fail' : 'unknown';
  };
}

type InvariantEngine = (node: unknown, resource: unknown, rootResource: unknown) => boolean | undefined;

/** true/false, or undefined when medplum's engine cannot parse or evaluate it (parsed on first use). */
function medplumInvariant(expression: string, typeName: string): InvariantEngine {
  let atom: FhirPathAtom | null | undefined;
  return (node, resource, rootResource) => {
    if (atom === undefined) {
      try {
        atom = parseFhirPath(expression);
      } catch {
        atom = null;
      }
    }
    if (!atom) return undefined;
    const context: TypedValue = { type: typeName, value: node };
    try {
      const result = evalFhirPathTyped(atom, [context], {
        '%context': context,
        '%resource': toTypedValue(resource),
        '%rootResource': toTypedValue(rootResource),
        '%ucum': { type: 'string', value: 'http://unitsofmeasure.org' },
      });
      // An empty result is unknown, not a violation (three-valued logic): identifier-only
      // references must pass ref-1, whose `reference.startsWith('#').not()` is empty for them.
      return result.length === 0 || (result.length === 1 && result[0].value === true);
    } catch {
      return undefined;
    }
  };
}

/** true/false, or undefined when the `fhirpath` package cannot compile or evaluate it (compiled on first use). */
function fhirpathInvariant(expression: string, modelPath: string): InvariantEngine {
  let fn: ((node: unknown, env: Record<string, unknown>) => unknown[]) | null | undefined;
  return (node, resource, rootResource) => {
    if (fn === undefined) {
      try {
        const compiled = fhirpathEngine().compile({ base: modelPath, expression }, r4Model(), { async: false, traceFn: () => undefined });
        fn = (n, env) => compiled(n, env) as unknown[];
      } catch {
        fn = null;
      }
    }
    if (!fn) return undefined;
    try {
      const result = fn(node, { resource, rootResource, context: node });
      return result.length === 0 || (result.length === 1 && result[0] === true);
    } catch {
      return undefined;
    }
  };
}

/** An expression's syntax tree as the `fhirpath` package parses it (node `type`, `text`, `children`), for reading what it refers to without evaluating it. Throws on a syntax error. */
export function parseSyntaxTree(expression: string): unknown {
  return fhirpathEngine().parse(expression);
}
