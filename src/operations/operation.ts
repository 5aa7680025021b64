import type { Parameters, ParametersParameter, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { temporalProblem, type TemporalType } from '../fhir/temporal';
import type { ResourceService } from '../services/resource-service';

/** What an operation receives: where it was invoked and its parameters. */
export interface OperationRequest {
  resourceType: string | undefined;
  id: string | undefined;
  /** Parameters from the query string (GET) or the Parameters body (POST). */
  parameters: Parameters;
  /** The raw body when it is a resource other than Parameters. */
  body: Resource | undefined;
  service: ResourceService;
  method: 'GET' | 'POST';
}

export interface OperationResult {
  status: number;
  body: Resource;
}

/** One FHIR operation ($name), defined in a file of its own: under operations/, or workflows/ for the workflow operations. */
export interface Operation {
  name: string;
  /** Resource types it applies to ('*' = any), and at which levels. */
  resourceTypes: string[] | '*';
  system: boolean;
  type: boolean;
  instance: boolean;
  /** Canonical of its OperationDefinition, for the CapabilityStatement. */
  definition: string;
  /** Side-effect free operations may be called with GET. */
  affectsState: boolean;
  documentation: string;
  execute(request: OperationRequest): Promise<OperationResult>;
}

export function parameterValue(parameters: Parameters, name: string): unknown {
  const p = parameters.parameter?.find((x) => x.name === name);
  if (!p) return undefined;
  if (p.resource) return p.resource;
  for (const [k, v] of Object.entries(p)) if (k.startsWith('value')) return v;
  return undefined;
}

export function parameterValues(parameters: Parameters, name: string): unknown[] {
  return (parameters.parameter ?? [])
    .filter((x) => x.name === name)
    .map((p) => p.resource ?? Object.entries(p).find(([k]) => k.startsWith('value'))?.[1]);
}

const TEMPORAL_VALUES: ReadonlyArray<[keyof ParametersParameter, TemporalType]> = [
  ['valueDate', 'date'],
  ['valueDateTime', 'dateTime'],
  ['valueInstant', 'instant'],
  ['valueTime', 'time'],
];

/**
 * Refuses (400) a typed date, dateTime, instant or time parameter that is not a real calendar
 * value in R4's format, at any depth of `part`: the same rule as resource content.
 */
export function assertTemporalParameters(parameters: Parameters): void {
  const visit = (list: ParametersParameter[] | undefined, location: string): void => {
    (list ?? []).forEach((p, i) => {
      const here = `${location}[${i}]`;
      for (const [key, type] of TEMPORAL_VALUES) {
        const value = p[key];
        if (value === undefined) continue;
        const problem = typeof value === 'string' ? temporalProblem(value, type) : `is not a ${type} string`;
        if (problem) {
          throw FhirError.badRequest(`Parameter ${p.name}: "${String(value)}" ${problem}`, `${here}.${key}`);
        }
      }
      visit(p.part, `${here}.part`);
    });
  };
  visit(parameters.parameter, 'Parameters.parameter');
}
