import type { SearchParameter } from 'fhir/r4';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { readStartupContent } from '../content/load-startup-content';
import type { ReadItem } from '../content/read-resources';
import { registerStoredSearchParameters } from '../content/register-stored-search-parameters';
import { createServerContext, type ServerContext } from './server-context';
import { buildServerParts, type ServerParts } from './server-parts';
import { openDatabase } from '../store/database';
import { isPGliteDirectory } from '../store/pglite-create';
import { migrate, migrationsAreApplied } from '../store/migrate';
import { resourceTypesFingerprint } from '../store/type-fingerprint';
import { announceLibraryWrites } from '../services/library-changes';

/**
 * SearchParameters stored through another instance join this one's registry within
 * SHARED_STATE_REFRESH_MS (plus one query): a cheap fingerprint of the stored ones is compared
 * at that interval, and a change registers them again. Only on a shared (PostgreSQL) database.
 */
function watchSharedDefinitions(ctx: ServerContext, intervalMs: number): { stop(): Promise<void> } {
  if (ctx.database.engine !== 'postgres' || intervalMs === 0) return { stop: async () => undefined };
  let known: string | undefined;
  let running: Promise<void> | undefined;
  const refresh = async () => {
    try {
      const now = await resourceTypesFingerprint(ctx.database, ['SearchParameter']);
      if (known !== undefined && now !== known) await registerStoredSearchParameters(ctx);
      known = now;
    } catch (error) {
      ctx.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'stored SearchParameters could not be checked');
    }
  };
  const timer = setInterval(() => {
    running ??= refresh().finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  running = refresh().finally(() => (running = undefined));
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

export interface Runtime {
  ctx: ServerContext;
  parts: ServerParts;
  /** profiles/ and content/ as read at start-up (empty when LOAD_CONTENT=false and not asked). */
  startupItems: ReadItem[];
  close(): Promise<void>;
}

/**
 * Everything but HTTP: database, migrations, validator and other parts, services, and the
 * search parameters of profiles/ and of the store. Shared by the server and the CLI commands.
 */
export async function openRuntime(config: ServerConfig, logger: Logger, options: { readContent?: boolean } = {}): Promise<Runtime> {
  if (config.databaseUrl === undefined) {
    const fresh = config.pgliteDir === 'memory://' || !isPGliteDirectory(config.pgliteDir);
    logger.info(
      { dir: config.pgliteDir },
      fresh ? 'creating the embedded database (PGlite initialises it once: seconds to half a minute)' : 'opening the embedded database',
    );
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.pgliteDir,
    pgliteSharedBuffersMb: config.pgliteSharedBuffersMb,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.searchTimeoutMs,
    onPoolError: (error) => logger.warn({ err: error.message }, 'database connection lost; the pool will reconnect'),
    replicaUrls: config.databaseReplicaUrls,
    replicaMaxLagMs: config.replicaMaxLagMs,
    replicaCheckIntervalMs: config.replicaCheckIntervalMs,
    preparedStatements: config.databasePreparedStatements,
    onReplicaState: (replica, state) => logger.warn({ replica, state }, 'read replica state changed'),
  });
  try {
    if (!(await migrationsAreApplied(database).catch(() => false))) logger.info('applying database migrations');
    const applied = await migrate(database);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    const readContent = options.readContent ?? config.loadContentOnStart;
    // profiles/ and content/ are read even when not loaded: the validator needs their profiles and code systems.
    const startupItems = await readStartupContent([config.profilesDir, config.contentDir]);
    logger.info({ resources: startupItems.length }, 'preparing the validator from the FHIR R4 definitions and profiles/');
    const parts = await buildServerParts(config, logger, startupItems);
    const ctx = createServerContext(config, database, logger, parts.context);
    for (const item of startupItems) {
      if (item.resource?.resourceType === 'SearchParameter') ctx.registry.add(item.resource as SearchParameter);
    }
    await registerStoredSearchParameters(ctx);
    // Library caches of every instance on the database hear of each library write (src/http/library-cache.ts).
    if (database.engine === 'postgres') announceLibraryWrites(ctx.hooks);
    const sharedDefinitions = watchSharedDefinitions(ctx, config.sharedStateRefreshMs);
    return {
      ctx,
      parts,
      startupItems: readContent ? startupItems : [],
      close: async () => {
        await sharedDefinitions.stop();
        await parts.close?.();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
