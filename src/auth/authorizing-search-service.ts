import type { OperationOutcomeIssue } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import type { SearchRequest } from '../fhir/search/search-request';
import { SearchService, type SearchResult } from '../services/search-service';
import { expandTokenFilters } from '../services/terminology-service';
import type { ResourceStore } from '../store/resource-store';
import { searchPage } from '../store/search/search-query';
import { GuardedStore } from './guarded-store';

/**
 * The search service when authorization is on. A search run on the store of an authorized
 * request (GuardedStore) is narrowed to the caller's grant before it runs, and its Bundle
 * is filtered after (included resources, defence in depth for matches). On any other store
 * (start-up loading, internal work) it is the plain search.
 */
export class AuthorizingSearchService extends SearchService {
  override async search(store: ResourceStore, path: string, request: SearchRequest, warnings: OperationOutcomeIssue[]): Promise<SearchResult> {
    if (!(store instanceof GuardedStore)) return super.search(store, path, request, warnings);
    const access = store.access;
    const narrowed = await access.narrowSearch(store, request);
    const result = await super.search(store, path, narrowed, warnings);
    access.audit.query ??= new URLSearchParams(request.applied).toString();
    const nothingToCheck =
      !access.policy.authenticated && request.includes.length === 0 && request.resourceTypes.every((t) => access.policy.isPublic(t));
    if (nothingToCheck) return result;
    return { body: await access.filterSearchBundle(store, result.body) };
  }

  /** Conditional interactions only see, and so only act on, resources within the grant. */
  override async findIds(store: ResourceStore, resourceType: string, criteria: string): Promise<string[]> {
    if (!(store instanceof GuardedStore)) return super.findIds(store, resourceType, criteria);
    const params = [...new URLSearchParams(criteria.replace(/^\?/, ''))];
    if (params.length === 0) throw FhirError.badRequest('Conditional criteria must not be empty');
    const { request } = this.parse([resourceType], params, true);
    const narrowed = await store.access.narrowSearch(store, request, 'criteria');
    const filters = await expandTokenFilters(store, this, narrowed.filters);
    const rows = await searchPage(store.db, { resourceTypes: [resourceType], filters, sort: [], limit: 2 });
    return rows.map((r) => r.id);
  }
}
