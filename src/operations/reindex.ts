import type { Parameters } from 'fhir/r4';
import { reindex } from '../services/reindex-service';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { Operation } from './operation';

/** `$reindex` at the system or type level: rebuilds the search indexes (after a new SearchParameter). */
export function reindexOperation(extractor: IndexValueExtractor): Operation {
  return {
    name: 'reindex',
    resourceTypes: '*',
    system: true,
    type: true,
    instance: false,
    definition: 'https://patient-education.dev/fhir/OperationDefinition/reindex',
    affectsState: true,
    documentation: 'Rebuilds the search indexes of all resources, or of one type when invoked on a type.',
    async execute(request) {
      // Under authorization the request's grant was checked before it ran: it updates every
      // resource of every type reindexed (auth/middleware.ts, affectsState). Rebuilding index
      // rows from stored content changes and returns no content: it runs as the server.
      const result = await reindex(request.service.repository.system(), extractor, request.resourceType);
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'resourceType', valueString: request.resourceType ?? '*' },
          { name: 'reindexed', valueInteger: result.done },
        ],
      };
      return { status: 200, body };
    },
  };
}
