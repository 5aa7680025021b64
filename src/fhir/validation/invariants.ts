import { compileInvariant, type CompiledInvariant, type InvariantOutcome } from '../fhirpath/evaluate';

export { medplumCanEvaluate, type InvariantOutcome } from '../fhirpath/evaluate';

/**
 * One FHIRPath invariant of a profile or a core type, compiled once and evaluated on many nodes
 * (the engine for it is picked by fhirpath/evaluate.ts: a shortcut, @medplum/core's engine, or
 * the `fhirpath` package, which confirms every failure).
 */
export class Invariant {
  private readonly compiled: CompiledInvariant;

  /**
   * @param expression the FHIRPath expression
   * @param typeName the FHIR type of the nodes (`Period`, `PlanDefinition`), for medplum's engine;
   *   undefined for a backbone element
   * @param modelPath the type or element path (`PlanDefinition.action`) the `fhirpath` package
   *   resolves the nodes' properties with
   */
  constructor(
    readonly expression: string,
    typeName: string | undefined,
    modelPath: string = typeName ?? '',
  ) {
    this.compiled = compileInvariant(expression, typeName, modelPath);
  }

  evaluate(node: unknown, resource: unknown, rootResource: unknown): InvariantOutcome {
    return this.compiled(node, resource, rootResource);
  }
}
