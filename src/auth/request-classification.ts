/** What a request under /fhir asks for, read from its method and path like fhir-router does. */
export type FhirInteraction =
  | 'capabilities'
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'create'
  | 'search-type'
  | 'search-system'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'batch'
  | 'transaction'
  | 'operation'
  | 'unknown';

export interface FhirRequest {
  interaction: FhirInteraction;
  resourceType?: string;
  id?: string;
  operation?: string;
}

/** The operation routes of fhir-router: [base]/$op, [base]/Type/$op, [base]/Type/id/$op. */
const OPERATION = /^\/(?:([A-Za-z]+)\/)?(?:([A-Za-z0-9\-.]{1,64})\/)?\$([A-Za-z][A-Za-z0-9-]*)$/;

/** `path` is relative to the FHIR base (`/Task/1/_history`). */
export function classifyFhirRequest(method: string, path: string): FhirRequest {
  const verb = method === 'HEAD' ? 'GET' : method;
  const op = OPERATION.exec(path);
  if (op) return { interaction: 'operation', resourceType: op[1], id: op[2], operation: op[3] };
  const segments = path.split('/').filter((s) => s !== '');
  const [type, second, third] = segments;
  const unknown: FhirRequest = { interaction: 'unknown' };
  switch (segments.length) {
    case 0:
      return verb === 'POST' ? { interaction: 'batch' } : verb === 'GET' ? { interaction: 'search-system' } : unknown;
    case 1:
      if (type === 'metadata') return verb === 'GET' ? { interaction: 'capabilities' } : unknown;
      if (type === '_history') return verb === 'GET' ? { interaction: 'history-system' } : unknown;
      if (verb === 'GET') return { interaction: 'search-type', resourceType: type };
      if (verb === 'POST') return { interaction: 'create', resourceType: type };
      if (verb === 'PUT') return { interaction: 'update', resourceType: type };
      if (verb === 'PATCH') return { interaction: 'patch', resourceType: type };
      if (verb === 'DELETE') return { interaction: 'delete', resourceType: type };
      return unknown;
    case 2:
      if (second === '_search') return verb === 'POST' ? { interaction: 'search-type', resourceType: type } : unknown;
      if (second === '_history') return verb === 'GET' ? { interaction: 'history-type', resourceType: type } : unknown;
      if (verb === 'GET') return { interaction: 'read', resourceType: type, id: second };
      if (verb === 'PUT') return { interaction: 'update', resourceType: type, id: second };
      if (verb === 'PATCH') return { interaction: 'patch', resourceType: type, id: second };
      if (verb === 'DELETE') return { interaction: 'delete', resourceType: type, id: second };
      return unknown;
    case 3:
      if (verb !== 'GET') return unknown;
      if (third === '_history') return { interaction: 'history-instance', resourceType: type, id: second };
      // A Patient compartment search is a search of its type, narrowed to the patient.
      return type === 'Patient' && /^[A-Z][A-Za-z]+$/.test(third) ? { interaction: 'search-type', resourceType: third } : unknown;
    case 4:
      return third === '_history' && verb === 'GET' ? { interaction: 'vread', resourceType: type, id: second } : unknown;
    default:
      return unknown;
  }
}
