/**
 * A refusal of a CDS Hooks endpoint. CDS Hooks 2.0 defines no error body, so every refusal is
 * the same small JSON object: `{"error": "<kind>", "message": "<what and where>"}`.
 */
export class CdsHooksError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 405 | 413 | 415 | 429,
    readonly error: 'invalid_request' | 'invalid_token' | 'not_found' | 'method_not_allowed' | 'too_large' | 'unsupported_media_type' | 'too_many_requests',
    message: string,
  ) {
    super(message);
  }

  static badRequest(message: string): CdsHooksError {
    return new CdsHooksError(400, 'invalid_request', message);
  }

  static unauthorized(message: string): CdsHooksError {
    return new CdsHooksError(401, 'invalid_token', message);
  }

  static notFound(message: string): CdsHooksError {
    return new CdsHooksError(404, 'not_found', message);
  }
}
