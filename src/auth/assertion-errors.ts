import { errors } from 'jose';

/**
 * Which check of a client assertion failed (client-confidential-asymmetric.html, RFC 7523 §3),
 * as the `error_description` of the refusal: signature, aud, exp, jti, ... Written from the
 * failure's kind and claim only, never from the token or a key, so no key material is revealed.
 */
export function assertionFailure(error: unknown, tokenUrl: string): string {
  if (error instanceof errors.JWTExpired) return 'client_assertion has expired (exp is in the past)';
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    const missing = error.reason === 'missing';
    switch (claim) {
      case 'aud':
        return `client_assertion aud must be the token URL ${tokenUrl}`;
      case 'exp':
      case 'jti':
        return missing ? `client_assertion needs a ${claim} claim` : `client_assertion ${claim} is not valid`;
      case 'nbf':
        return 'client_assertion is not yet valid (nbf is in the future)';
      case 'iat':
        return 'client_assertion iat is not valid';
      case 'iss':
      case 'sub':
        return 'client_assertion iss and sub must both be the client_id';
      default:
        return 'client_assertion claims do not verify';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'client_assertion signature does not verify with the key registered for this client';
  if (error instanceof errors.JWKSNoMatchingKey) return 'client_assertion kid names no key registered for this client (signature)';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'client_assertion kid matches several keys registered for this client (signature)';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'client_assertion alg is not allowed';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return "the client's registered JWK Set URL could not be read (signature not checked)";
  return 'client_assertion does not verify';
}
