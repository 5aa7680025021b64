import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { ServerConfig } from '../config';
import { loadStartupContent, logStartupLoad } from '../content/load-startup-content';
import { createRequestListener } from '../http/app';
import { openRuntime } from './runtime';
import type { ServerContext } from './server-context';

export interface RunningServer {
  ctx: ServerContext;
  server: Server;
  /** http://host:port (the actual port when PORT=0). */
  origin: string;
  /** Stops accepting connections, finishes in-flight requests, closes the database. */
  close(): Promise<void>;
}

export function createLogger(config: ServerConfig): Logger {
  return pino({ level: config.logLevel, redact: ['req.headers.authorization', 'headers.authorization', 'token', 'access_token', 'client_assertion'] });
}

/**
 * Graceful shutdown with keep-alive clients: once closing, every response not yet started says
 * `Connection: close` (the socket closes after it), a connection that falls idle is closed at
 * once, and at the deadline whatever is left is closed.
 */
class Drain {
  private readonly open = new Set<ServerResponse>();
  private closing = false;
  private server: Server | undefined;

  track(res: ServerResponse): void {
    if (this.closing) res.shouldKeepAlive = false;
    this.open.add(res);
    res.once('close', () => {
      this.open.delete(res);
      // The socket of a response written with keep-alive before closing began is idle now.
      if (this.closing) setImmediate(() => this.server?.closeIdleConnections());
    });
  }

  close(server: Server, timeoutMs: number, onDeadline: () => void): Promise<void> {
    this.closing = true;
    this.server = server;
    for (const res of this.open) if (!res.headersSent) res.shouldKeepAlive = false;
    return new Promise<void>((resolve) => {
      const deadline = setTimeout(() => {
        onDeadline();
        server.closeAllConnections();
      }, timeoutMs);
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      server.closeIdleConnections();
    });
  }
}

/** config -> database -> migrations -> services -> library -> HTTP. */
export async function startServer(config: ServerConfig, logger: Logger = createLogger(config)): Promise<RunningServer> {
  const startedAt = Date.now();
  const runtime = await openRuntime(config, logger);
  const { ctx } = runtime;
  try {
    if (config.loadContentOnStart) {
      logger.info({ resources: runtime.startupItems.length }, 'loading the library (profiles/ and content/)');
      // A line per tenth of the library, when it is loaded rather than found unchanged.
      const step = Math.max(1, Math.ceil(runtime.startupItems.length / 10));
      const onProgress = (done: number, total: number) => {
        if (done % step === 0 || done === total) logger.info(`loading the library ${done}/${total}`);
      };
      logStartupLoad(logger, await loadStartupContent(ctx, runtime.startupItems, { replaceLocalEdits: config.replaceLocalEdits, onProgress }));
    }
    const listener = createRequestListener(ctx, runtime.parts.app(ctx));
    const drain = new Drain();
    const server = createServer((req, res) => {
      drain.track(res);
      listener(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.keepAliveTimeout = 65_000;
    const address = server.address() as AddressInfo;
    const origin = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
    logger.info({ port: address.port, database: ctx.database.engine, startupMs: Date.now() - startedAt, baseUrl: config.baseUrl }, 'server listening');
    let closing: Promise<void> | undefined;
    return {
      ctx,
      server,
      origin,
      close: () =>
        (closing ??= (async () => {
          await drain.close(server, config.shutdownTimeoutMs, () => logger.warn({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown deadline reached: closing the connections still open'));
          await listener.close?.();
          await runtime.close();
        })()),
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
