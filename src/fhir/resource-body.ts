import type { Resource } from 'fhir/r4';
import { FhirError } from './fhir-error';
import { ID_PATTERN, isResourceType } from './resource-types';

/** A parsed body as a resource: an object whose resourceType is a known R4 type. */
export function asResource(body: unknown, expectedType?: string): Resource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw FhirError.of(400, 'structure', 'The body must be a JSON object holding a FHIR resource');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') {
    throw FhirError.of(400, 'required', 'The resource has no resourceType', 'resourceType');
  }
  if (!isResourceType(resourceType)) {
    throw FhirError.of(400, 'not-supported', `"${resourceType}" is not an R4 resource type`, 'resourceType');
  }
  if (expectedType !== undefined && resourceType !== expectedType) {
    throw FhirError.badRequest(`The body is a ${resourceType} but the URL names ${expectedType}`, 'resourceType');
  }
  const id = (body as { id?: unknown }).id;
  if (id !== undefined && (typeof id !== 'string' || !ID_PATTERN.test(id))) {
    throw FhirError.badRequest(`"${String(id)}" is not a valid resource id`, `${resourceType}.id`);
  }
  return body as Resource;
}
