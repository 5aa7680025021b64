import { parseCurlExamples, type CurlExample } from './curl-examples';

/** The FHIR base the documents' examples name (the quick-start server). */
export const DOC_BASE = 'http://localhost:8080/fhir';

export type Example = CurlExample;

/** The curl commands of a document (docs/*.md) against the FHIR base, to run against a real server. */
export function parseExamples(markdown: string): Example[] {
  return parseCurlExamples(markdown.split('\n'), DOC_BASE);
}
