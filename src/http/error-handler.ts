import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { FhirError } from '../fhir/fhir-error';
import { ID_PATTERN } from '../fhir/resource-types';
import { issue, operationOutcome } from '../fhir/operation-outcome';
import { FHIR_JSON } from './fhir-response';
import { POOLER_UNAVAILABLE } from '../store/read-routing';

/** Postgres error codes that mean "the database is not there" (connection, shutdown). */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Turns any error into an OperationOutcome; never a stack trace or SQL text. */
export function toFhirError(error: unknown): FhirError {
  if (error instanceof FhirError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : '';
  const status = (error as { status?: unknown; type?: unknown })?.status;
  const type = (error as { type?: unknown })?.type;
  if (type === 'entity.too.large' || status === 413) {
    return FhirError.of(413, 'too-long', 'The request body is larger than this server accepts (MAX_BODY_BYTES)');
  }
  if (type === 'entity.parse.failed' || type === 'charset.unsupported' || type === 'encoding.unsupported') {
    return FhirError.of(400, 'structure', 'The request body could not be read');
  }
  // Other client errors of the body reader (a truncated or corrupt gzip/deflate body, an aborted upload).
  if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
    return FhirError.of(400, 'structure', 'The request body could not be read (is its Content-Encoding intact?)');
  }
  if (code === '57014') {
    return FhirError.of(400, 'too-costly', 'The search took too long; narrow it with more selective parameters or a smaller _count');
  }
  if (POOLER_UNAVAILABLE.test(message)) {
    return new FhirError(503, [issue('fatal', 'transient', 'The database is unavailable; try again shortly')], { 'Retry-After': '5' });
  }
  if ((code !== undefined && UNAVAILABLE_CODES.has(code)) || /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(message)) {
    return new FhirError(503, [issue('fatal', 'transient', 'The database is unavailable; try again shortly')], { 'Retry-After': '5' });
  }
  if (code === '40001' || code === '40P01') {
    return FhirError.of(409, 'conflict', 'A concurrent write conflicted with this one; retry the request');
  }
  return FhirError.of(500, 'exception', 'An internal error occurred');
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  /** The OperationOutcome as JSON text. */
  body: string;
}

/**
 * The OperationOutcome answer to an error: what went wrong and where, the request id on
 * every outcome, and for server errors a log line instead of any detail in the answer.
 */
export function errorResponse(error: unknown, requestId: string, logger: Logger, request: { method: string; path: string }): ErrorResponse {
  const fhirError = toFhirError(error);
  if (fhirError.status >= 500) {
    logger.error({ err: error, requestId, method: request.method, path: request.path }, 'request failed');
  }
  const outcome = operationOutcome(
    fhirError.outcome.issue.map((i) => ({
      ...i,
      diagnostics: fhirError.status >= 500 ? `${i.diagnostics ?? ''} (request id ${requestId})` : i.diagnostics,
    })),
    ID_PATTERN.test(requestId) ? requestId : undefined,
  );
  return { status: fhirError.status, headers: { ...fhirError.headers }, body: JSON.stringify(outcome) };
}

export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const answer = errorResponse(error, String(res.locals.requestId ?? ''), logger, { method: req.method, path: req.path });
    if (res.headersSent) return;
    for (const [k, v] of Object.entries(answer.headers)) res.setHeader(k, v);
    res.status(answer.status).type(FHIR_JSON).send(answer.body);
  };
}
