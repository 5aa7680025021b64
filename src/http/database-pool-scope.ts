import { callerAddress } from './caller-address';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { RequestRouting } from '../store/read-routing';

/** Names the database pool that answered a request's last statement: `primary` or `replica-N`. */
export const POOL_HEADER = 'X-Database-Pool';

/** The client of the read-your-writes rule: its credentials when it sends any, else its address. */
function clientKey(req: IncomingMessage): string {
  const authorization = req.headers.authorization;
  return typeof authorization === 'string' && authorization !== '' ? `auth:${authorization}` : `addr:${callerAddress(req)}`;
}

/**
 * Runs every request in a read-routing scope: GET and HEAD may read from a replica, anything
 * else is a write of its client (its reads go to the primary until a replica has replayed it),
 * and the answer names the pool that served it.
 */
export function withReadRouting(router: RequestRouting, listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    const scope = { readOnly, client: clientKey(req), pool: undefined as string | undefined };
    if (!readOnly) {
      router.beginWrite(scope.client);
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        void router.endWrite(scope.client);
      };
      res.once('finish', end);
      res.once('close', end);
    }
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      if (scope.pool !== undefined && !this.headersSent) this.setHeader(POOL_HEADER, scope.pool);
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
    router.run(scope, () => listener(req, res));
  };
}
