import type { Parameters, Resource } from 'fhir/r4';
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

/** One FHIR operation ($name), defined in a file of its own under operations/. */
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
