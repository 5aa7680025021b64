import type { ResourceScope } from './scopes';

/** Who is calling, from a verified access token. */
export interface Principal {
  /** The OAuth client: the token's `client_id` claim, else `azp`, else `sub`. */
  clientId: string;
  /** The token's `sub`. */
  subject: string | undefined;
  /** The token's `iss`. */
  issuer: string;
  /** SMART `fhirUser` claim (e.g. `Practitioner/123`), when a user launched the app. */
  user: string | undefined;
  /** SMART `patient` launch context: the id of the patient that `patient/` scopes reach. */
  patient: string | undefined;
  /** Clinical-data scopes granted by the token. */
  scopes: ResourceScope[];
  /** The token's `jti`, for the audit trail. */
  tokenId: string | undefined;
  /** The assignment Task of a patient-link token (checked to be still open on each request). */
  patientLinkTask?: string;
}
