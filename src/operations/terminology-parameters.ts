import type { CodeableConcept, Coding, Parameters, ParametersParameter, ValueSet } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { canonicalUrl, ExpansionError, type Expansion } from '../fhir/terminology/value-set-expander';
import { StoredTerminology, coreValueSet, findByUrl } from '../services/terminology-service';
import type { OperationRequest } from './operation';
import { parameterValue } from './operation';

/** Where a parameter is, for OperationOutcome.issue.expression. */
export const at = (name: string) => `Parameters.parameter.where(name='${name}')`;

/** A string parameter (GET gives valueString, POST valueUri/valueCode/valueString...). */
export function stringParameter(parameters: Parameters, name: string): string | undefined {
  const value = parameterValue(parameters, name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw FhirError.badRequest(`${name} must be a non-empty string`, at(name));
  return value;
}

export function integerParameter(parameters: Parameters, name: string): number | undefined {
  const value = parameterValue(parameters, name);
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0) throw FhirError.badRequest(`${name} must be a whole number of 0 or more`, at(name));
  return n;
}

export function booleanParameter(parameters: Parameters, name: string): boolean | undefined {
  const value = parameterValue(parameters, name);
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw FhirError.badRequest(`${name} must be true or false`, at(name));
}

function isCoding(value: unknown): value is Coding {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The codings to work on: `code` (+ `system`), or `coding`, or `codeableConcept` — exactly one
 * of them (R4 terminology operations). `requireSystem` refuses a code without its system.
 */
export function codingsOf(parameters: Parameters, requireSystem: boolean): { codings: Coding[]; from: 'code' | 'coding' | 'codeableConcept' } {
  const code = stringParameter(parameters, 'code');
  const system = stringParameter(parameters, 'system');
  const coding = parameterValue(parameters, 'coding');
  const concept = parameterValue(parameters, 'codeableConcept');
  const given = [code !== undefined, coding !== undefined, concept !== undefined].filter(Boolean).length;
  if (given === 0) throw FhirError.badRequest('Give the concept as code (with system), coding or codeableConcept', at('code'));
  if (given > 1) throw FhirError.badRequest('Give only one of code, coding and codeableConcept', at('code'));
  if (code !== undefined) {
    if (requireSystem && system === undefined) throw FhirError.badRequest('code needs its system', at('system'));
    const display = stringParameter(parameters, 'display');
    return { codings: [{ ...(system !== undefined ? { system } : {}), code, ...(display !== undefined ? { display } : {}) }], from: 'code' };
  }
  if (coding !== undefined) {
    if (!isCoding(coding) || typeof coding.code !== 'string') throw FhirError.badRequest('coding must be a Coding with a code', at('coding'));
    if (requireSystem && typeof coding.system !== 'string') throw FhirError.badRequest('coding needs its system', at('coding'));
    return { codings: [coding], from: 'coding' };
  }
  const codings = isCoding(concept) ? ((concept as CodeableConcept).coding ?? []).filter((c) => typeof c.code === 'string') : [];
  if (codings.length === 0) throw FhirError.badRequest('codeableConcept must hold at least one coding with a code', at('codeableConcept'));
  return { codings, from: 'codeableConcept' };
}

/**
 * The ValueSet an operation works on: the instance it was invoked on, the `valueSet` resource
 * parameter, or the stored one named by `url`.
 */
export async function valueSetOf(request: OperationRequest): Promise<ValueSet> {
  const { service, parameters } = request;
  if (request.id !== undefined) return JSON.parse((await service.read('ValueSet', request.id)).content) as ValueSet;
  const inline = parameterValue(parameters, 'valueSet');
  if (inline !== undefined) {
    if (!isCoding(inline) || (inline as { resourceType?: unknown }).resourceType !== 'ValueSet') throw FhirError.badRequest('valueSet must be a ValueSet resource', at('valueSet'));
    return inline as ValueSet;
  }
  const url = stringParameter(parameters, 'url');
  if (url === undefined) throw FhirError.badRequest('Name the value set: invoke on an instance, or give url or valueSet', at('url'));
  const found = await findByUrl<ValueSet>(service.repository, service.search, 'ValueSet', url);
  const known = found ?? coreValueSet(canonicalUrl(url));
  if (!known) throw FhirError.notFound(`ValueSet ${url} is not known to this server`, at('url'));
  return known;
}

/** Expands a value set for an operation; what cannot be expanded exactly is an OperationOutcome. */
export async function expandForOperation(request: OperationRequest, valueSet: ValueSet): Promise<Expansion> {
  try {
    return await new StoredTerminology(request.service.repository, request.service.search).expand(valueSet);
  } catch (error) {
    if (error instanceof ExpansionError) throw error.toFhirError(request.id !== undefined ? 'ValueSet' : at('url'));
    throw error;
  }
}

/** The OperationOutcome for a value set whose codes include whole systems the server does not hold. */
export function openSystemsError(valueSet: ValueSet, systems: string[]): FhirError {
  return FhirError.of(
    400,
    'not-supported',
    `ValueSet ${valueSet.url ?? valueSet.id ?? ''} includes all codes of ${systems.join(', ')}, which this server does not hold: it cannot list or check them`,
  );
}

export function part(name: string, value: Omit<ParametersParameter, 'name'>): ParametersParameter {
  return { name, ...value };
}
