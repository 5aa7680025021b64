import type { Response } from 'express';
import type { Resource } from 'fhir/r4';
import { compressBody, encodingFor } from './compression';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/**
 * Writes a FHIR JSON body: stored text as it is, re-indented only when _pretty asks for it;
 * compressed (br or gzip) when the client accepts it and the body is large enough.
 */
export function sendJson(res: Response, status: number, body: string | Resource | object, pretty: boolean): void {
  let text = typeof body === 'string' ? body : JSON.stringify(body);
  if (pretty) text = JSON.stringify(JSON.parse(text), null, 2);
  res.status(status).type(FHIR_JSON);
  const encoding = encodingFor(res.req.headers['accept-encoding'], text);
  if (encoding === undefined) {
    res.send(text);
    return;
  }
  res.vary('Accept-Encoding');
  compressBody(text, encoding).then(
    (compressed) => {
      res.setHeader('Content-Encoding', encoding);
      res.setHeader('Content-Length', compressed.length);
      res.end(res.req.method === 'HEAD' ? undefined : compressed);
    },
    () => res.send(text),
  );
}

export function versionETag(versionId: number | string): string {
  return `W/"${versionId}"`;
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
