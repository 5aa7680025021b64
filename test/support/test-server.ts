import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type ServerConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/app/server';
import pino from 'pino';

/**
 * A real server on a real database for integration tests. With DATABASE_URL set, each
 * server gets a fresh database of its own on that Postgres (dropped on close); without
 * it, a throwaway PGlite. Tests talk to it over HTTP only.
 */
export interface TestServer extends RunningServer {
  /** Base URL of the FHIR API, e.g. http://127.0.0.1:54321/fhir */
  base: string;
  engine: 'postgres' | 'pglite';
  /** Stops the server; keeps the database when `keepDatabase` (restart tests). */
  stop(): Promise<void>;
  /** JSON fetch against the FHIR base. */
  fetch(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any }>;
}

export const TEST_DATABASE_URL: string | undefined = process.env.DATABASE_URL || undefined;
export const ENGINE = TEST_DATABASE_URL ? 'postgres' : 'pglite';

/** A fresh, empty database on the test Postgres (DATABASE_URL); drop it with dropTestDatabase. */
export async function createTestDatabase(): Promise<string> {
  if (!TEST_DATABASE_URL) throw new Error('createTestDatabase needs DATABASE_URL');
  return createDatabase(TEST_DATABASE_URL);
}

async function createDatabase(serverUrl: string): Promise<string> {
  const name = `fhir_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}

export interface TestServerOptions {
  /** Extra environment settings (AUTH, LOAD_CONTENT, ...). */
  env?: Record<string, string>;
  /** Reuse an existing database (restart tests). */
  databaseUrl?: string;
  pgliteDir?: string;
  keepDatabase?: boolean;
  /** The server's logger (default: silent), e.g. one writing to a buffer the test reads. */
  logger?: pino.Logger;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer & { databaseUrl?: string }> {
  const databaseUrl = options.databaseUrl ?? (TEST_DATABASE_URL ? await createDatabase(TEST_DATABASE_URL) : undefined);
  const env: Record<string, string | undefined> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    AUTH: 'off',
    LOAD_CONTENT: 'false',
    PGLITE_DIR: options.pgliteDir ?? 'memory://',
    DATABASE_URL: databaseUrl,
    // Behind PgBouncer in transaction mode (test/cluster/through-pgbouncer.ts): statements unnamed.
    DATABASE_PREPARED_STATEMENTS: process.env.DATABASE_PREPARED_STATEMENTS,
    ...options.env,
  };
  // The base URL must name the real port, known only after listen: start on port 0 first
  // and use a BASE_URL placeholder port, then rewrite it below.
  const config: ServerConfig = loadConfig(env);
  const logger = options.logger ?? pino({ level: 'silent' });
  const placeholder = { ...config };
  const running = await startServer(placeholder, logger);
  const base = `${running.origin}/fhir`;
  // Links and Location headers use the configured base; tests read them relative to it.
  (running.ctx.config as { baseUrl: string }).baseUrl = config.baseUrl;
  const stop = async () => {
    await running.close();
  };
  return {
    ...running,
    base,
    engine: databaseUrl ? 'postgres' : 'pglite',
    databaseUrl,
    stop,
    close: async () => {
      await running.close();
      if (databaseUrl && TEST_DATABASE_URL && !options.keepDatabase && !options.databaseUrl) {
        await dropDatabase(TEST_DATABASE_URL, databaseUrl);
      }
    },
    fetch: async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/fhir+json');
      const response = await fetch(path.startsWith('http') ? path : `${base}${path.startsWith('/') ? '' : '/'}${path}`, {
        ...init,
        headers,
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        /* keep text */
      }
      return { status: response.status, headers: response.headers, body: body as any };
    },
  };
}

export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  if (TEST_DATABASE_URL) await dropDatabase(TEST_DATABASE_URL, databaseUrl);
}
