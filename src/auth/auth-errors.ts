import { FhirError } from '../fhir/fhir-error';
import { issue } from '../fhir/operation-outcome';

/** Quotes would end the auth-param value early (RFC 6750 section 3). */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, "'")}"`;
}

/** 401: no token, or a token we cannot accept. RFC 6750 section 3 asks for WWW-Authenticate: Bearer. */
export function unauthorized(description: string, invalidToken: boolean): FhirError {
  const header = invalidToken
    ? `Bearer realm="fhir", error="invalid_token", error_description=${quoted(description)}`
    : 'Bearer realm="fhir"';
  return new FhirError(401, [issue('error', 'login', description)], { 'WWW-Authenticate': header });
}

/** 403: a valid token whose scopes do not allow the interaction. */
export function forbidden(description: string): FhirError {
  return new FhirError(403, [issue('error', 'forbidden', description)], {
    'WWW-Authenticate': `Bearer realm="fhir", error="insufficient_scope", error_description=${quoted(description)}`,
  });
}

/** 429 with the seconds until the client's bucket holds a token again. */
export function tooManyRequests(retryAfterSeconds: number): FhirError {
  return new FhirError(429, [issue('error', 'throttled', `Too many requests; retry after ${retryAfterSeconds} s`)], {
    'Retry-After': String(retryAfterSeconds),
  });
}
