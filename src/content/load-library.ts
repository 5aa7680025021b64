import type { Bundle, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import type { ResourceService } from '../services/resource-service';
import type { ReadItem } from './read-resources';

export interface LoadSummary {
  created: number;
  updated: number;
  unchanged: number;
  rejected: { source: string; reason: string }[];
}

/**
 * Loads resources idempotently: each is PUT by its id, so unchanged content creates no
 * new version and changed content creates exactly one. Resources without an id are
 * created. A rejected resource is reported and the rest still load.
 */
export async function loadResources(
  service: ResourceService,
  items: ReadItem[],
  onProgress?: (done: number, total: number) => void,
  /** Runs a batch or transaction Bundle as the server would (POST to the base). */
  processBundle?: (bundle: Bundle) => Promise<Bundle>,
): Promise<LoadSummary> {
  const summary: LoadSummary = { created: 0, updated: 0, unchanged: 0, rejected: [] };
  let done = 0;
  for (const item of items) {
    done++;
    if (!item.resource) {
      summary.rejected.push({ source: item.source, reason: item.error ?? 'unreadable' });
      onProgress?.(done, items.length);
      continue;
    }
    try {
      const resource: Resource = item.resource;
      const bundle = resource as Bundle;
      if (processBundle && resource.resourceType === 'Bundle' && (bundle.type === 'transaction' || bundle.type === 'batch')) {
        const response = await processBundle(bundle);
        for (const [i, entry] of (response.entry ?? []).entries()) {
          const status = entry.response?.status ?? '';
          if (status.startsWith('201')) summary.created++;
          else if (status.startsWith('200')) {
            if (entry.response?.outcome) summary.unchanged++;
            else summary.updated++;
          } else if (!status.startsWith('204')) summary.rejected.push({ source: `${item.source}#entry[${i}]`, reason: status });
        }
        onProgress?.(done, items.length);
        continue;
      }
      const result =
        resource.id !== undefined
          ? await service.update(resource.resourceType, resource.id, resource)
          : await service.create(resource);
      if (result.status === 201) summary.created++;
      else if (result.changed) summary.updated++;
      else summary.unchanged++;
    } catch (error) {
      const reason =
        error instanceof FhirError
          ? error.outcome.issue.map((i) => `${i.diagnostics ?? i.code}${i.expression ? ` @ ${i.expression.join(', ')}` : ''}`).join('; ')
          : error instanceof Error
            ? error.message
            : String(error);
      summary.rejected.push({ source: item.source, reason });
    }
    onProgress?.(done, items.length);
  }
  return summary;
}
