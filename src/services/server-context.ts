import type { CapabilityStatement } from 'fhir/r4';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { SearchParameterRegistry } from '../fhir/search/search-parameter-registry';
import type { Operation } from '../operations/operation';
import type { Database } from '../store/database';
import type { BundleService } from './bundle-service';
import type { ResourceService } from './resource-service';
import type { SearchService } from './search-service';
import type { WriteHook } from './write-hooks';

/**
 * The server's services, wired together by src/app/server-context.ts: what the HTTP layer, the
 * web surfaces and the content loader are handed. Only the type lives here, below them all.
 */
export interface ServerContext {
  config: ServerConfig;
  database: Database;
  logger: Logger;
  registry: SearchParameterRegistry;
  extractor: IndexValueExtractor;
  service: ResourceService;
  searchService: SearchService;
  bundleService: BundleService;
  operations: Map<string, Operation>;
  hooks: Map<string, WriteHook[]>;
  /** Profiles per resource type, from profiles/ (for supportedProfile). */
  supportedProfiles: Map<string, string[]>;
  historySettings: { baseUrl: string; defaultCount: number; maxCount: number; maxPageBytes?: number };
  capabilityStatement(): CapabilityStatement;
}
