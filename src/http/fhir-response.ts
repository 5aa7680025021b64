import type { Response } from 'express';
import type { Resource } from 'fhir/r4';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Writes a FHIR JSON body: stored text as it is, re-indented only when _pretty asks for it. */
export function sendJson(res: Response, status: number, body: string | Resource | object, pretty: boolean): void {
  let text = typeof body === 'string' ? body : JSON.stringify(body);
  if (pretty) text = JSON.stringify(JSON.parse(text), null, 2);
  res.status(status).type(FHIR_JSON).send(text);
}

export function versionETag(versionId: number | string): string {
  return `W/"${versionId}"`;
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
