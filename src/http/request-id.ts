import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ID_PATTERN } from '../fhir/resource-types';

/**
 * The id of a request: the client's `X-Request-Id` when it has the shape of a FHIR id (it
 * becomes OperationOutcome.id), otherwise a new UUID.
 */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && ID_PATTERN.test(incoming) ? incoming : randomUUID();
}
