import { parseFhirPath, type FhirPathAtom, type TypedValue } from '@medplum/core';
import { evalFhirPathTyped, toTypedValue } from './medplum-functions';
import { fhirpathEngine, r4Model } from '../fhirpath-r4';
import { shortcutFor, type InvariantShortcut } from './invariant-shortcuts';

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

/**
 * One FHIRPath invariant, compiled once and evaluated on many nodes, by two real engines:
 * - @medplum/core's engine when it can evaluate the expression: it is fast (0.2 ms for the
 *   pre-op Questionnaire's invariants where the `fhirpath` package takes about 7 ms) and it is
 *   the engine that checks the element invariants inside `validateResource`;
 * - the `fhirpath` package with the R4 model otherwise, and to confirm each failure that
 *   medplum's engine reports, so that a failure is reported only when the reference engine
 *   agrees (or cannot evaluate it). An invariant neither engine can evaluate (the `fhirpath`
 *   package compiles regular expressions with the `u` flag and refuses escapes such as `\-`)
 *   is left unchecked ('unknown') rather than failed.
 */
export class Invariant {
  private medplumAtom: FhirPathAtom | null | undefined;
  private fhirpathFn: ((node: unknown, env: Record<string, unknown>) => unknown[]) | null | undefined;
  private readonly useMedplum: boolean;
  private readonly shortcut: InvariantShortcut | undefined;

  /**
   * @param expression the FHIRPath expression
   * @param typeName the FHIR type of the nodes (`Period`, `PlanDefinition`), for medplum's engine;
   *   undefined for a backbone element
   * @param modelPath the type or element path (`PlanDefinition.action`) the `fhirpath` package
   *   resolves the nodes' properties with
   */
  constructor(
    readonly expression: string,
    private readonly typeName: string | undefined,
    private readonly modelPath: string = typeName ?? '',
  ) {
    this.useMedplum = typeName !== undefined && medplumCanEvaluate(expression);
    this.shortcut = shortcutFor(expression);
  }

  evaluate(node: unknown, resource: unknown, rootResource: unknown): InvariantOutcome {
    if (this.shortcut?.(node, resource)) return 'pass';
    const fast = this.useMedplum ? this.evaluateWithMedplum(node, resource, rootResource) : undefined;
    if (fast === true) return 'pass';
    const reference = this.evaluateWithFhirpath(node, resource, rootResource);
    if (reference !== undefined) return reference ? 'pass' : 'fail';
    return fast === false ? 'fail' : 'unknown';
  }

  /** true/false, or undefined when medplum's engine cannot parse or evaluate it. */
  private evaluateWithMedplum(node: unknown, resource: unknown, rootResource: unknown): boolean | undefined {
    if (this.medplumAtom === undefined) {
      try {
        this.medplumAtom = parseFhirPath(this.expression);
      } catch {
        this.medplumAtom = null;
      }
    }
    if (!this.medplumAtom || this.typeName === undefined) return undefined;
    const context: TypedValue = { type: this.typeName, value: node };
    try {
      const result = evalFhirPathTyped(this.medplumAtom, [context], {
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
  }

  /** true/false, or undefined when the `fhirpath` package cannot compile or evaluate it. */
  private evaluateWithFhirpath(node: unknown, resource: unknown, rootResource: unknown): boolean | undefined {
    if (this.fhirpathFn === undefined) {
      try {
        const compiled = fhirpathEngine().compile(
          { base: this.modelPath, expression: this.expression },
          r4Model(),
          {
            async: false,
            traceFn: () => undefined,
          },
        );
        this.fhirpathFn = (n, env) => compiled(n, env) as unknown[];
      } catch {
        this.fhirpathFn = null;
      }
    }
    if (!this.fhirpathFn) return undefined;
    try {
      const result = this.fhirpathFn(node, { resource, rootResource, context: node });
      return result.length === 0 || (result.length === 1 && result[0] === true);
    } catch {
      return undefined;
    }
  }
}
