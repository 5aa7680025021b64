import type { IncomingMessage } from 'node:http';

/**
 * The caller's address: the peer address of the connection. The one answer for the rate limits
 * (fast path, middleware, token endpoint), the audit trail and the database pool choice; the
 * server sets no `trust proxy`, so X-Forwarded-For is never believed.
 */
export function callerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}
