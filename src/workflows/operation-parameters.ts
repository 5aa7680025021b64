import type { Identifier, Parameters } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';

/**
 * Reading operation parameters that may come from a query string (every value a string) or a
 * Parameters body (typed values), for $apply and $populate.
 */

export function parameterLocation(name: string): string {
  return `Parameters.parameter.where(name='${name}')`;
}

function entries(parameters: Parameters, name: string) {
  return (parameters.parameter ?? []).filter((p) => p.name === name);
}

/** A parameter given at most once. */
function single(parameters: Parameters, name: string) {
  const found = entries(parameters, name);
  if (found.length > 1)
    throw FhirError.badRequest(
      `Parameter ${name} may be given once, it was given ${found.length} times`,
      parameterLocation(name),
    );
  return found[0];
}

/** A reference given as a string (`Patient/1`) or a Reference. */
export function referenceParameter(parameters: Parameters, name: string): string | undefined {
  const p = single(parameters, name);
  if (p === undefined) return undefined;
  const value = p.valueString ?? p.valueReference?.reference ?? p.valueUri ?? p.valueCanonical;
  if (value === undefined || value === '')
    throw FhirError.badRequest(
      `Parameter ${name} must be a reference such as Patient/123`,
      parameterLocation(name),
    );
  return value;
}

export function stringParameter(parameters: Parameters, name: string): string | undefined {
  const p = single(parameters, name);
  if (p === undefined) return undefined;
  const value =
    p.valueString ?? p.valueUri ?? p.valueCanonical ?? p.valueCode ?? p.valueDate ?? p.valueDateTime;
  if (value === undefined)
    throw FhirError.badRequest(`Parameter ${name} must have a value`, parameterLocation(name));
  return value;
}

export function booleanParameter(parameters: Parameters, name: string): boolean | undefined {
  const p = single(parameters, name);
  if (p === undefined) return undefined;
  if (p.valueBoolean !== undefined) return p.valueBoolean;
  if (p.valueString === 'true') return true;
  if (p.valueString === 'false') return false;
  throw FhirError.badRequest(`Parameter ${name} must be true or false`, parameterLocation(name));
}

/** An Identifier, or from a query string `system|value` (or a bare value). */
export function identifierParameter(parameters: Parameters, name: string): Identifier | undefined {
  const p = single(parameters, name);
  if (p === undefined) return undefined;
  if (p.valueIdentifier !== undefined) return p.valueIdentifier;
  if (p.valueString !== undefined) {
    const bar = p.valueString.indexOf('|');
    return bar < 0
      ? { value: p.valueString }
      : { system: p.valueString.slice(0, bar) || undefined, value: p.valueString.slice(bar + 1) };
  }
  throw FhirError.badRequest(`Parameter ${name} must be an Identifier`, parameterLocation(name));
}

export function resourceParameter<T>(
  parameters: Parameters,
  name: string,
  resourceType: string,
): T | undefined {
  const p = single(parameters, name);
  if (p === undefined) return undefined;
  if (p.resource?.resourceType !== resourceType)
    throw FhirError.badRequest(`Parameter ${name} must hold a ${resourceType}`, parameterLocation(name));
  return p.resource as T;
}

/** Names given that the operation does not know (reported, never silently ignored). */
export function unknownParameters(parameters: Parameters, known: readonly string[]): string[] {
  return [...new Set((parameters.parameter ?? []).map((p) => p.name).filter((n) => !known.includes(n)))];
}
