/**
 * Options for every FHIRPath expression the validator compiles with the `fhirpath` package:
 * synchronous (no resolve(), no terminology server), and `trace()` (used by core invariants
 * such as ref-1) kept off the console.
 */
export const FHIRPATH_OPTIONS = {
  async: false,
  traceFn: (): void => undefined,
} as const;
