import { ConfigError, loadConfig } from '../config';
import { tuneHeapGrowth } from './heap-growth';
import { createLogger, startServer, type RunningServer } from './server';

/** Process entry: config -> database -> app -> listen; SIGTERM/SIGINT shut down gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);
  const started: { server?: RunningServer } = {};
  const shutdown = (signal: string) => {
    const running = started.server;
    if (running === undefined) {
      // Migrations run in transactions and the library load is idempotent: stopping here
      // leaves nothing half-done that the next start does not finish.
      logger.info({ signal }, 'stopped during start-up');
      process.exit(0);
    }
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    running
      .close()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  if (config.auth === 'off') {
    logger.warn('AUTH=off: every request is allowed without a token. Use this for local development only, never in a deployment.');
  }
  tuneHeapGrowth(config.databaseUrl === undefined);
  started.server = await startServer(config, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
