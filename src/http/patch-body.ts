import type { Request } from 'express';
import type { Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { applyFhirPathPatch, parseFhirPathPatch } from '../fhir/fhirpath-patch';
import { applyJsonPatch, parseJsonPatch } from '../fhir/json-patch';
import { requireJsonBody } from './negotiation';

const JSON_PATCH = 'application/json-patch+json';

/**
 * The change a PATCH body asks for (R4 http.html#patch), checked before anything is read:
 * `application/json-patch+json` is a JSON Patch (RFC 6902); a FHIR JSON body is a FHIRPath
 * Patch (a Parameters resource, R4 fhirpatch.html).
 */
export function patchOf(req: Request): (current: Resource) => Resource {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === JSON_PATCH) {
    const raw = typeof req.body === 'string' ? req.body : '';
    if (raw.trim() === '') throw FhirError.badRequest('The request has no body');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      throw FhirError.of(400, 'structure', `The body is not valid JSON: ${error instanceof SyntaxError ? error.message : 'invalid JSON'}`);
    }
    const operations = parseJsonPatch(body);
    return (current) => applyJsonPatch(current, operations) as Resource;
  }
  if (type === '') throw FhirError.of(415, 'not-supported', `A PATCH needs a Content-Type: ${JSON_PATCH} or application/fhir+json (FHIRPath Patch)`, 'Content-Type');
  const operations = parseFhirPathPatch(requireJsonBody(req));
  return (current) => applyFhirPathPatch(current, operations);
}
