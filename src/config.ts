/**
 * Every setting of the server, read from the environment and validated once.
 * Nothing else in the code base reads process.env.
 */
export interface ServerConfig {
  /** TCP port the HTTP server listens on. */
  port: number;
  /** Host/interface to bind. */
  host: string;
  /** Public base URL of the FHIR API, used in Location headers, fullUrls and links. */
  baseUrl: string;
  /** postgres:// URL; when absent the embedded PGlite database is used. */
  databaseUrl: string | undefined;
  /** Directory of the embedded database (or `memory://`). */
  pgliteDir: string;
  /** shared_buffers of the embedded database in MB (PGLITE_SHARED_BUFFERS_MB; 0 keeps PGlite's 128 MB). */
  pgliteSharedBuffersMb: number;
  /** Streaming read replicas of DATABASE_URL (DATABASE_REPLICA_URLS, comma separated): reads of GET requests go to them (docs/scaling.md). */
  databaseReplicaUrls: string[];
  /** A replica further behind the primary than this is skipped (REPLICA_MAX_LAG_MS). */
  replicaMaxLagMs: number;
  /** How often replicas are checked for health and lag (REPLICA_CHECK_INTERVAL_MS). */
  replicaCheckIntervalMs: number;
  /** Named server-side prepared statements (DATABASE_PREPARED_STATEMENTS); off behind PgBouncer older than 1.21 in transaction mode. */
  databasePreparedStatements: boolean;
  /** Direct (not pooled) connection to the primary for LISTEN, which needs a session (DATABASE_DIRECT_URL; default DATABASE_URL). */
  databaseDirectUrl: string | undefined;
  /**
   * How often an instance checks for SearchParameters stored through another instance, and how long
   * it keeps the EHR-facing answers (CDS Hooks, Infobutton, $translate) before another instance's
   * library writes must show (SHARED_STATE_REFRESH_MS; 0 = never check, keep nothing).
   */
  sharedStateRefreshMs: number;
  /** Public library reads and searches answered from memory, emptied by any library write on any instance (LIBRARY_CACHE). */
  libraryCache: boolean;
  /** max-age of `Cache-Control: public` on library answers, in seconds (LIBRARY_CACHE_MAX_AGE). */
  libraryCacheMaxAgeSeconds: number;
  /** Memory the library cache may hold, in MB (LIBRARY_CACHE_MAX_MB). */
  libraryCacheMaxMb: number;
  /** Maximum connections in the pg pool. */
  databasePoolSize: number;
  /** Statement timeout for searches, in milliseconds. */
  searchTimeoutMs: number;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Default and maximum page size of a search. */
  defaultPageSize: number;
  maxPageSize: number;
  /** Load profiles/ and content/ at start-up. */
  loadContentOnStart: boolean;
  /** Directories loaded at start-up. */
  profilesDir: string;
  contentDir: string;
  /** pino log level. */
  logLevel: string;
  /** Serve plain reads and searches from node:http directly (HTTP_FAST_PATH); off sends everything through Express. */
  httpFastPath: boolean;
  /** Authorization: on (default) or off (local development only). */
  auth: 'on' | 'off';
  /** Expected `iss` of access tokens issued by an external authorization server. */
  authIssuer: string | undefined;
  /** JWKS of the external issuer: an https URL or a local file path. */
  authJwksUrl: string | undefined;
  authJwksFile: string | undefined;
  /** Lifetime of tokens issued by the built-in token endpoint, in seconds. */
  tokenLifetimeSeconds: number;
  /** CORS allow-list (comma separated origins); empty = no cross-origin access. */
  corsOrigins: string[];
  /** Requests per minute allowed per client (token subject or IP). 0 disables the limit. */
  rateLimitPerMinute: number;
  /**
   * Where the rate limit counts (RATE_LIMIT_STORE): memory (each instance alone), database (shared by
   * every instance on DATABASE_URL) or redis (shared in REDIS_URL; the default when REDIS_URL is set).
   */
  rateLimitStore: 'memory' | 'database' | 'redis';
  /** Redis for the shared rate limit counters (REDIS_URL, redis:// or rediss://). */
  redisUrl: string | undefined;
  /** Prefix of this deployment's keys in Redis (REDIS_KEY_PREFIX), for a Redis shared with others. */
  redisKeyPrefix: string;
  /** Built-in SMART Backend Services token endpoint (/auth/token) and acceptance of its tokens. */
  authBuiltinServer: boolean;
  /** Private JWK (JSON) signing the built-in endpoint's tokens; without it a key is generated once and kept in the database. */
  authSigningKeyFile: string | undefined;
  /** Clock difference tolerated when checking exp, nbf and iat, in seconds. */
  authClockSkewSeconds: number;
  /** Endpoints of an external authorization server, published in smart-configuration and the CapabilityStatement. */
  authTokenEndpoint: string | undefined;
  authAuthorizationEndpoint: string | undefined;
  /** Further SMART capabilities of the external authorization server (comma separated), e.g. launch-ehr. */
  authCapabilities: string[];
  /** Resource types that anyone may read and search without a token (comma separated). */
  authPublicTypes: string[];
  /** Days a patient link keeps working after its Task's due date. */
  patientLinkDaysAfterDue: number;
  /** Lifetime in days of a patient link whose Task has no due date. */
  patientLinkDaysWithoutDue: number;
  /** Most entries one batch or transaction Bundle may hold (BUNDLE_MAX_ENTRIES). */
  bundleMaxEntries: number;
  /** Megabytes one client may store through the API, every version counted (CLIENT_STORAGE_MAX_MB); 0 = no limit. */
  clientStorageMaxMb: number;
  /** Bytes of matched resources one search page holds at most; the rest follows the `next` link (SEARCH_PAGE_MAX_BYTES). */
  searchPageMaxBytes: number;
  /** Longest accepted lifetime (exp - iat) of an access token, in seconds (AUTH_MAX_TOKEN_LIFETIME_SECONDS). */
  authMaxTokenLifetimeSeconds: number;
  /** Referential integrity on write (REFERENTIAL_INTEGRITY, default on): a relative reference to a missing resource answers 422. */
  referentialIntegrity: boolean;
  /** After SIGTERM, how long in-flight requests may take before their connections are closed, in milliseconds. */
  shutdownTimeoutMs: number;
  /** At start-up, write the library's files over resources edited through the API since the last load. */
  replaceLocalEdits: boolean;
  /** Origins allowed to call /cds-services from a browser (CDS_HOOKS_CORS_ORIGINS, comma separated; `*` = any). */
  cdsHooksCorsOrigins: string[];
  /** SMART app offered as a `smart` link on CDS Hooks cards (CDS_HOOKS_SMART_APP_URL); none by default. */
  cdsHooksSmartAppUrl: string | undefined;
  /** The coordinator app's OAuth client id at the authorization server (SMART App Launch). */
  coordinatorClientId: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function readOptional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

function readList(env: Env, name: string, fallback: string[]): string[] {
  const raw = readOptional(env, name);
  if (raw === undefined) return fallback;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function readUrl(env: Env, name: string): string | undefined {
  const raw = readOptional(env, name);
  if (raw !== undefined && !/^https?:\/\/[^/\s]+/.test(raw)) throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  return raw;
}

/** The education library and the conformance resources: public so the quick start and handout queries need no token. */
const DEFAULT_PUBLIC_TYPES = ['PlanDefinition', 'DocumentReference', 'Questionnaire', 'StructureDefinition', 'SearchParameter', 'CodeSystem', 'ValueSet', 'ConceptMap', 'OperationDefinition'];

export function loadConfig(env: Env = process.env): ServerConfig {
  const port = readInteger(env, 'PORT', 8080, 0, 65535);
  const host = readOptional(env, 'HOST') ?? '0.0.0.0';
  const baseUrl = (readOptional(env, 'BASE_URL') ?? `http://localhost:${port}/fhir`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+\/.+$/.test(baseUrl)) {
    throw new ConfigError(`BASE_URL must be an absolute http(s) URL ending in the FHIR base path, got "${baseUrl}"`);
  }
  const databaseUrl = readOptional(env, 'DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const databaseReplicaUrls = readList(env, 'DATABASE_REPLICA_URLS', []);
  const databaseDirectUrl = readOptional(env, 'DATABASE_DIRECT_URL');
  for (const url of [...databaseReplicaUrls, ...(databaseDirectUrl === undefined ? [] : [databaseDirectUrl])]) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError('DATABASE_REPLICA_URLS and DATABASE_DIRECT_URL must start with postgres:// or postgresql://');
  }
  if (databaseUrl === undefined && (databaseReplicaUrls.length > 0 || databaseDirectUrl !== undefined)) {
    throw new ConfigError('DATABASE_REPLICA_URLS and DATABASE_DIRECT_URL need DATABASE_URL (the primary)');
  }
  const redisUrl = readOptional(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  const rateLimitStore = (readOptional(env, 'RATE_LIMIT_STORE') ?? (redisUrl === undefined ? 'memory' : 'redis')).toLowerCase();
  if (rateLimitStore !== 'memory' && rateLimitStore !== 'database' && rateLimitStore !== 'redis') {
    throw new ConfigError(`RATE_LIMIT_STORE must be memory, database or redis, got "${rateLimitStore}"`);
  }
  if (rateLimitStore === 'redis' && redisUrl === undefined) throw new ConfigError('RATE_LIMIT_STORE=redis needs REDIS_URL');
  const defaultPageSize = readInteger(env, 'DEFAULT_PAGE_SIZE', 20, 1, 1000);
  const maxPageSize = readInteger(env, 'MAX_PAGE_SIZE', 500, 1, 10000);
  if (defaultPageSize > maxPageSize) throw new ConfigError('DEFAULT_PAGE_SIZE must not exceed MAX_PAGE_SIZE');
  const auth = (readOptional(env, 'AUTH') ?? 'on').toLowerCase();
  if (auth !== 'on' && auth !== 'off') throw new ConfigError(`AUTH must be on or off, got "${auth}"`);
  const authIssuer = readOptional(env, 'AUTH_ISSUER');
  const authJwksUrl = readUrl(env, 'AUTH_JWKS_URL');
  const authJwksFile = readOptional(env, 'AUTH_JWKS_FILE');
  if (authJwksUrl !== undefined && authJwksFile !== undefined) throw new ConfigError('Set AUTH_JWKS_URL or AUTH_JWKS_FILE, not both');
  if (authIssuer !== undefined && authJwksUrl === undefined && authJwksFile === undefined) {
    throw new ConfigError('AUTH_ISSUER needs the issuer\'s keys: AUTH_JWKS_URL or AUTH_JWKS_FILE');
  }
  if (authIssuer === undefined && (authJwksUrl !== undefined || authJwksFile !== undefined)) {
    throw new ConfigError('AUTH_JWKS_URL / AUTH_JWKS_FILE need AUTH_ISSUER (the expected iss of the tokens)');
  }
  const authBuiltinServer = readBoolean(env, 'AUTH_BUILTIN_SERVER', true);
  if (auth === 'on' && !authBuiltinServer && authIssuer === undefined) {
    throw new ConfigError('AUTH=on needs a token issuer: keep AUTH_BUILTIN_SERVER on or set AUTH_ISSUER with AUTH_JWKS_URL or AUTH_JWKS_FILE');
  }
  return {
    port,
    host,
    baseUrl,
    databaseUrl,
    pgliteDir: readOptional(env, 'PGLITE_DIR') ?? './data',
    pgliteSharedBuffersMb: readInteger(env, 'PGLITE_SHARED_BUFFERS_MB', 16, 0, 4096),
    databaseReplicaUrls,
    replicaMaxLagMs: readInteger(env, 'REPLICA_MAX_LAG_MS', 5000, 100, 3_600_000),
    replicaCheckIntervalMs: readInteger(env, 'REPLICA_CHECK_INTERVAL_MS', 500, 50, 60_000),
    databasePreparedStatements: readBoolean(env, 'DATABASE_PREPARED_STATEMENTS', true),
    databaseDirectUrl,
    libraryCache: readBoolean(env, 'LIBRARY_CACHE', true),
    libraryCacheMaxAgeSeconds: readInteger(env, 'LIBRARY_CACHE_MAX_AGE', 60, 0, 86400),
    libraryCacheMaxMb: readInteger(env, 'LIBRARY_CACHE_MAX_MB', 64, 1, 4096),
    sharedStateRefreshMs: readInteger(env, 'SHARED_STATE_REFRESH_MS', 5000, 0, 3_600_000),
    databasePoolSize: readInteger(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    searchTimeoutMs: readInteger(env, 'SEARCH_TIMEOUT_MS', 10000, 100, 600000),
    maxBodyBytes: readInteger(env, 'MAX_BODY_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    defaultPageSize,
    maxPageSize,
    loadContentOnStart: readBoolean(env, 'LOAD_CONTENT', true),
    profilesDir: readOptional(env, 'PROFILES_DIR') ?? 'profiles',
    contentDir: readOptional(env, 'CONTENT_DIR') ?? 'content',
    logLevel: readOptional(env, 'LOG_LEVEL') ?? 'info',
    httpFastPath: readBoolean(env, 'HTTP_FAST_PATH', true),
    auth,
    authIssuer,
    authJwksUrl,
    authJwksFile,
    tokenLifetimeSeconds: readInteger(env, 'TOKEN_LIFETIME_SECONDS', 300, 30, 86400),
    corsOrigins: (readOptional(env, 'CORS_ORIGINS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    rateLimitPerMinute: readInteger(env, 'RATE_LIMIT_PER_MINUTE', 6000, 0, 10_000_000),
    rateLimitStore,
    redisUrl,
    redisKeyPrefix: readOptional(env, 'REDIS_KEY_PREFIX') ?? 'fhir:',
    authBuiltinServer,
    authSigningKeyFile: readOptional(env, 'AUTH_SIGNING_KEY_FILE'),
    authClockSkewSeconds: readInteger(env, 'AUTH_CLOCK_SKEW_SECONDS', 30, 0, 300),
    authTokenEndpoint: readUrl(env, 'AUTH_TOKEN_ENDPOINT'),
    authAuthorizationEndpoint: readUrl(env, 'AUTH_AUTHORIZATION_ENDPOINT'),
    authCapabilities: readList(env, 'AUTH_CAPABILITIES', []),
    authPublicTypes: readList(env, 'AUTH_PUBLIC_TYPES', DEFAULT_PUBLIC_TYPES),
    patientLinkDaysAfterDue: readInteger(env, 'PATIENT_LINK_DAYS_AFTER_DUE', 1, 0, 365),
    patientLinkDaysWithoutDue: readInteger(env, 'PATIENT_LINK_DAYS_WITHOUT_DUE', 30, 1, 365),
    bundleMaxEntries: readInteger(env, 'BUNDLE_MAX_ENTRIES', 1000, 1, 1_000_000),
    clientStorageMaxMb: readInteger(env, 'CLIENT_STORAGE_MAX_MB', 4096, 0, 100_000_000),
    searchPageMaxBytes: readInteger(env, 'SEARCH_PAGE_MAX_BYTES', 16 * 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    authMaxTokenLifetimeSeconds: readInteger(env, 'AUTH_MAX_TOKEN_LIFETIME_SECONDS', 3600, 60, 31 * 86400),
    referentialIntegrity: readBoolean(env, 'REFERENTIAL_INTEGRITY', true),
    shutdownTimeoutMs: readInteger(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, 0, 3600) * 1000,
    replaceLocalEdits: readBoolean(env, 'REPLACE_LOCAL_EDITS', false),
    // The JWT authenticates a CDS client, not its origin: any origin by default (docs/cds-hooks.md).
    cdsHooksCorsOrigins: readList(env, 'CDS_HOOKS_CORS_ORIGINS', ['*']),
    cdsHooksSmartAppUrl: readUrl(env, 'CDS_HOOKS_SMART_APP_URL'),
    coordinatorClientId: readOptional(env, 'COORDINATOR_CLIENT_ID') ?? 'coordinator-app',
  };
}
