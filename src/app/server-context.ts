import type { CapabilityStatement, Resource, SearchParameter, StructureDefinition } from 'fhir/r4';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config';
import { buildCapabilityStatement } from '../fhir/capability-statement';
import { RESOURCE_TYPES } from '../fhir/resource-types';
import { IndexValueExtractor } from '../fhir/search/extract-index-values';
import { SearchParameterRegistry } from '../fhir/search/search-parameter-registry';
import type { Operation } from '../operations/operation';
import { reindexOperation } from '../operations/reindex';
import { validateOperation } from '../operations/validate';
import { BundleService } from '../services/bundle-service';
import { ResourceService } from '../services/resource-service';
import { SearchService } from '../services/search-service';
import type { ResourceValidator } from '../fhir/validation/validator';
import type { WriteHook } from '../services/write-hooks';
import type { Database } from '../store/database';
import { Repository } from '../store/repository';
import type { ServerContext } from '../services/server-context';

export type { ServerContext };

export interface ContextOptions {
  validator?: Pick<ResourceValidator, 'validate'>;
  operations?: Operation[];
  hooks?: Map<string, WriteHook[]>;
  security?: CapabilityStatement['rest'] extends (infer R)[] | undefined ? (R extends { security?: infer S } ? S : never) : never;
  version?: string;
  /** Resource profiles we validate against (supportedProfile in the CapabilityStatement). */
  profiles?: ReadonlyArray<{ url: string; type: string }>;
}

/** Wires the services together: the composition root of the server. */
export function createServerContext(config: ServerConfig, database: Database, logger: Logger, options: ContextOptions = {}): ServerContext {
  const registry = SearchParameterRegistry.withCoreParameters(RESOURCE_TYPES);
  const extractor = new IndexValueExtractor(registry);
  const settings = { baseUrl: config.baseUrl, defaultCount: config.defaultPageSize, maxCount: config.maxPageSize, maxPageBytes: config.searchPageMaxBytes };
  const searchService = new SearchService(registry, settings);
  const hooks = options.hooks ?? new Map<string, WriteHook[]>();
  // Stored SearchParameters add parameters; they never redefine the specification's (authorization rests on those).
  hooks.set('SearchParameter', [
    ...(hooks.get('SearchParameter') ?? []),
    { validate: async (resource) => registry.storedParameterIssues(resource as SearchParameter) },
  ]);
  // A SearchParameter written through the API joins the registry once its write commits (a
  // reindex covers older data); a deleted or retired one leaves it, and an update replaces it.
  hooks.set('SearchParameter', [
    ...(hooks.get('SearchParameter') ?? []),
    {
      afterWrite: async (event, service) => {
        const sp = event.resource as SearchParameter;
        const previous = event.previous as SearchParameter | undefined;
        service.repository.afterCommit(() => {
          if (previous) registry.remove(previous);
          if (event.interaction === 'delete' || sp.status === 'retired' || !sp.expression) registry.remove(sp);
          else registry.add(sp);
        });
      },
    },
  ]);
  const supportedProfiles = new Map<string, string[]>();
  for (const p of options.profiles ?? []) supportedProfiles.set(p.type, [...(supportedProfiles.get(p.type) ?? []), p.url].sort());
  const withdrawProfile = (sd: StructureDefinition | undefined) => {
    if (sd?.type === undefined || sd.url === undefined) return;
    const list = (supportedProfiles.get(sd.type) ?? []).filter((url) => url !== sd.url);
    if (list.length > 0) supportedProfiles.set(sd.type, list);
    else supportedProfiles.delete(sd.type);
  };
  // A resource profile written through the API is listed in supportedProfile once its write
  // commits, and no longer once it is deleted.
  hooks.set('StructureDefinition', [
    ...(hooks.get('StructureDefinition') ?? []),
    {
      afterWrite: async (event, service) => {
        const sd = event.resource as StructureDefinition;
        const previous = event.previous as StructureDefinition | undefined;
        service.repository.afterCommit(() => {
          withdrawProfile(previous);
          if (event.interaction === 'delete' || sd.derivation !== 'constraint' || sd.kind !== 'resource') {
            withdrawProfile(sd);
            return;
          }
          const list = supportedProfiles.get(sd.type) ?? [];
          if (!list.includes(sd.url)) supportedProfiles.set(sd.type, [...list, sd.url].sort());
        });
      },
    },
  ]);
  const service = new ResourceService({
    repository: Repository.open(database),
    extractor,
    validator: options.validator,
    hooks,
    search: searchService,
    referentialIntegrity: config.referentialIntegrity,
  });
  const operations = new Map([reindexOperation(extractor), validateOperation, ...(options.operations ?? [])].map((o) => [o.name, o]));
  const bundleService = new BundleService({ baseUrl: config.baseUrl, maxEntries: config.bundleMaxEntries }, async (svc, { interaction: i, query }) => {
    if (i.kind === 'read' && query === undefined) {
      const stored = await svc.read(i.resourceType!, i.id!);
      return { status: 200, body: JSON.parse(stored.content) as Resource };
    }
    if (i.kind === 'search-type' && !i.posted && i.compartment === undefined) {
      svc.assertType(i.resourceType!);
      // On the service's repository: under authorization it carries the request's access, like a direct search.
      const search = svc.search;
      const { request, warnings } = search.parse([i.resourceType!], [...new URLSearchParams(query ?? '')], false);
      const result = await search.search(svc.repository, i.resourceType!, request, warnings);
      return { status: 200, body: JSON.parse(result.body) as unknown };
    }
    if (i.kind === 'vread') {
      const row = await svc.vread(i.resourceType!, i.id!, i.versionId!);
      return { status: 200, body: JSON.parse(row.content!) as unknown };
    }
    return { status: 400, body: undefined };
  });
  return {
    config,
    database,
    logger,
    registry,
    extractor,
    service,
    searchService,
    bundleService,
    operations,
    hooks,
    supportedProfiles,
    historySettings: settings,
    // Built on each call, so that it lists the search parameters and profiles of the moment
    // (both change as SearchParameters and StructureDefinitions are written).
    capabilityStatement: () =>
      buildCapabilityStatement({
        baseUrl: config.baseUrl,
        version: options.version ?? '0.1.0',
        registry,
        operations: [...operations.values()],
        supportedProfiles,
        security: options.security,
      }),
  };
}
