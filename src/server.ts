import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { ServerConfig } from './config';
import { loadStartupContent } from './content/load-startup-content';
import { createRequestListener } from './http/app';
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

/** config -> database -> migrations -> services -> library -> HTTP. */
export async function startServer(config: ServerConfig, logger: Logger = createLogger(config)): Promise<RunningServer> {
  const startedAt = Date.now();
  const runtime = await openRuntime(config, logger);
  const { ctx } = runtime;
  try {
    if (config.loadContentOnStart) {
      const summary = await loadStartupContent(ctx, runtime.startupItems);
      for (const r of summary.rejected) logger.error({ source: r.source, reason: r.reason }, 'library resource rejected');
      logger.info({ created: summary.created, updated: summary.updated, unchanged: summary.unchanged, rejected: summary.rejected.length, skipped: summary.skipped }, summary.skipped ? 'library unchanged since its last load' : 'library loaded');
    }
    const listener = createRequestListener(ctx, runtime.parts.app(ctx));
    const server = createServer(listener);
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
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeIdleConnections();
          });
          await listener.close?.();
          await runtime.close();
        })()),
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
