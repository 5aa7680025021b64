import type * as Fhirpath from 'fhirpath';
import type { Model } from 'fhirpath';

/*
 * The `fhirpath` package and its R4 model, loaded on first use rather than with the server.
 * Loading the package (its ANTLR parser) took about 150 ms of every start-up, and a start-up
 * with an unchanged library evaluates nothing with it: index extraction walks plain element
 * paths itself (with the model's tables only), invariants run on @medplum/core's engine first
 * (this one confirms a failure), and plan conditions are evaluated by `$apply`. The requires are
 * synchronous because every caller evaluates synchronously.
 */
/* eslint-disable @typescript-eslint/no-require-imports */

let model: Model | undefined;
let engine: typeof Fhirpath | undefined;

/** The R4 model of the `fhirpath` package (types of element paths, choice types, ...). */
export function r4Model(): Model {
  return (model ??= require('fhirpath/fhir-context/r4') as Model);
}

/** The `fhirpath` package's engine; pass it `r4Model()`. */
export function fhirpathEngine(): typeof Fhirpath {
  return (engine ??= require('fhirpath') as typeof Fhirpath);
}
