import type { NextFunction, Request, Response } from 'express';
import { FhirError } from '../fhir/fhir-error';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir']);
const XML_FORMATS = new Set(['xml', 'text/xml', 'application/xml', 'application/fhir+xml', 'application/xml+fhir']);

/**
 * R4 http.html#mime-type: this server speaks JSON. `_format` wins over Accept; an XML-only
 * Accept is 406, an XML body 415.
 */
export function negotiateFormat(req: Request, _res: Response, next: NextFunction): void {
  const format = typeof req.query._format === 'string' ? req.query._format.split(';')[0].trim().toLowerCase() : undefined;
  if (format !== undefined) {
    if (XML_FORMATS.has(format)) throw FhirError.of(406, 'not-supported', 'This server only returns JSON (_format=json)', '_format');
    if (!JSON_FORMATS.has(format)) throw FhirError.of(406, 'not-supported', `Unknown _format "${format}"; use json`, '_format');
  } else {
    const accept = req.headers.accept;
    if (accept !== undefined && accept !== '' && !acceptsJson(accept)) {
      throw FhirError.of(406, 'not-supported', `Cannot answer in ${accept}; this server returns application/fhir+json`, 'Accept');
    }
  }
  const versions = requestedFhirVersions(req.headers.accept);
  if (versions.length > 0 && !versions.some((v) => v === '4.0' || v.startsWith('4.0.'))) {
    throw FhirError.of(406, 'not-supported', `This server speaks FHIR R4 (fhirVersion=4.0); the Accept header asks for fhirVersion ${versions.join(', ')}`, 'Accept');
  }
  next();
}

/** The `fhirVersion` parameters of an Accept header (R4 http.html#version-parameter), e.g. ['3.0']. */
export function requestedFhirVersions(accept: string | undefined): string[] {
  if (accept === undefined || !accept.toLowerCase().includes('fhirversion')) return [];
  const versions: string[] = [];
  for (const range of accept.split(',')) {
    for (const param of range.split(';').slice(1)) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name.toLowerCase() === 'fhirversion' && value !== undefined) versions.push(value.replace(/^"|"$/g, ''));
    }
  }
  return versions;
}

export function acceptsJson(accept: string): boolean {
  return accept
    .split(',')
    .map((part) => part.split(';')[0].trim().toLowerCase())
    .some((type) => type === '*/*' || type === 'application/*' || JSON_FORMATS.has(type) || type.endsWith('+json'));
}

/** Body parsing: JSON (FHIR or plain) and, for POST _search, form encoding. */
export function requireJsonBody(req: Request): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (XML_FORMATS.has(type)) throw FhirError.of(415, 'not-supported', 'XML bodies are not supported; send application/fhir+json', 'Content-Type');
  if (type !== '' && !JSON_FORMATS.has(type)) {
    throw FhirError.of(415, 'not-supported', `Unsupported Content-Type "${type}"; send application/fhir+json`, 'Content-Type');
  }
  const raw = req.body;
  if (typeof raw !== 'string' || raw.trim() === '') throw FhirError.badRequest('The request has no body');
  assertJsonDepth(raw);
  try {
    // A `__proto__` key is refused while parsing (JSON.parse keeps it an own property, but any
    // later Object.assign would set a prototype with it); other keys that are no element are
    // the validator's 422.
    return raw.includes('"__proto__"') ? JSON.parse(raw, refusePrototypeKey) : JSON.parse(raw);
  } catch (error) {
    if (error instanceof FhirError) throw error;
    const detail = error instanceof SyntaxError ? error.message : 'invalid JSON';
    throw FhirError.of(400, 'structure', `The body is not valid JSON: ${detail}`);
  }
}

/** Deepest nesting of arrays and objects a JSON body may have (R4 resources need far fewer levels). */
export const MAX_JSON_DEPTH = 100;

/**
 * Refuses a body nested deeper than MAX_JSON_DEPTH before it is parsed, so that nothing
 * recursive (parsing, validation, indexing) ever sees it: one pass over the text.
 */
function assertJsonDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) {
        throw FhirError.of(400, 'structure', `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the most this server accepts`);
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

function refusePrototypeKey(key: string, value: unknown): unknown {
  if (key === '__proto__') throw FhirError.of(422, 'structure', 'The key "__proto__" is not an element of any FHIR type');
  return value;
}
