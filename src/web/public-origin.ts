/**
 * The public origin of the pages, /cds-services and /infobutton: BASE_URL without its FHIR
 * path (`https://edu.example.org/fhir` → `https://edu.example.org`).
 */
export function publicOrigin(baseUrl: string): string {
  return baseUrl.replace(/\/fhir\/?$/, '');
}
