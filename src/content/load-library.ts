import type { Bundle, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { isValidId } from '../fhir/resource-types';
import type { ResourceService } from '../services/resource-service';
import type { ReadItem } from './read-resources';

export interface LoadSummary {
  created: number;
  updated: number;
  unchanged: number;
  rejected: { source: string; reason: string }[];
}

/** Resources written per transaction when loading (a transaction of many writes: a few statements for the whole chunk). */
const CHUNK = 500;

type Outcome = 'created' | 'updated' | 'unchanged';

function reasonOf(error: unknown): string {
  return error instanceof FhirError
    ? error.outcome.issue
        .map((i) => `${i.diagnostics ?? i.code}${i.expression ? ` @ ${i.expression.join(', ')}` : ''}`)
        .join('; ')
    : error instanceof Error
      ? error.message
      : String(error);
}

async function writeOne(service: ResourceService, resource: Resource): Promise<Outcome> {
  const result =
    resource.id !== undefined
      ? await service.update(resource.resourceType, resource.id, resource)
      : await service.create(resource);
  return result.status === 201 ? 'created' : result.changed ? 'updated' : 'unchanged';
}

/** A rejected resource had already written something in the shared transaction: load the chunk one by one. */
class WroteBeforeFailing extends Error {}

/**
 * Writes a chunk of resources in one transaction of many writes. A resource refused before it wrote
 * anything (validation, a precondition) is reported and the others still load; on anything
 * else the transaction rolls back and the chunk is loaded one resource per transaction, as
 * unbatched loading did (so one bad resource never keeps the others out).
 */
async function writeChunk(service: ResourceService, items: { source: string; resource: Resource }[]) {
  try {
    return await service.transactionOfManyWrites(async (tx) => {
      await tx.repository.lockForUpdate(
        items.flatMap(({ resource: r }) =>
          r.id !== undefined && isValidId(r.id) ? [{ resourceType: r.resourceType, id: r.id }] : [],
        ),
      );
      const outcomes: (Outcome | { rejected: string })[] = [];
      for (const item of items) {
        const writes = tx.repository.writeCount();
        try {
          outcomes.push(await writeOne(tx, item.resource));
        } catch (error) {
          if (!(error instanceof FhirError) || tx.repository.writeCount() !== writes)
            throw new WroteBeforeFailing();
          outcomes.push({ rejected: reasonOf(error) });
        }
      }
      return outcomes;
    });
  } catch {
    const outcomes: (Outcome | { rejected: string })[] = [];
    for (const item of items) {
      try {
        outcomes.push(await writeOne(service, item.resource));
      } catch (error) {
        outcomes.push({ rejected: reasonOf(error) });
      }
    }
    return outcomes;
  }
}

/**
 * Loads resources idempotently: each is PUT by its id, so unchanged content creates no
 * new version and changed content creates exactly one. Resources without an id are
 * created. A rejected resource is reported and the rest still load. Consecutive resources
 * are written CHUNK at a time in one transaction each; a batch or transaction Bundle is
 * processed as the server would process it.
 */
export async function loadResources(
  service: ResourceService,
  /** An array, or a stream (streamResources): read as loading goes, never held whole. */
  items: Iterable<ReadItem> | AsyncIterable<ReadItem>,
  onProgress?: (done: number) => void,
  /** Runs a batch or transaction Bundle as the server would (POST to the base). */
  processBundle?: (bundle: Bundle) => Promise<Bundle>,
): Promise<LoadSummary> {
  const summary: LoadSummary = { created: 0, updated: 0, unchanged: 0, rejected: [] };
  let done = 0;
  let chunk: { source: string; resource: Resource }[] = [];
  const writeHeld = async () => {
    if (chunk.length === 0) return;
    const outcomes = await writeChunk(service, chunk);
    outcomes.forEach((outcome, i) => {
      if (typeof outcome === 'string') summary[outcome]++;
      else summary.rejected.push({ source: chunk[i].source, reason: outcome.rejected });
      onProgress?.(++done);
    });
    chunk = [];
  };
  for await (const item of items) {
    const resource = item.resource;
    const bundle = resource as Bundle | undefined;
    const isBundle =
      processBundle &&
      resource?.resourceType === 'Bundle' &&
      (bundle!.type === 'transaction' || bundle!.type === 'batch');
    if (resource && !isBundle) {
      chunk.push({ source: item.source, resource });
      if (chunk.length >= CHUNK) await writeHeld();
      continue;
    }
    await writeHeld();
    done++;
    if (!resource) {
      summary.rejected.push({ source: item.source, reason: item.error ?? 'unreadable' });
      onProgress?.(done);
      continue;
    }
    try {
      const response = await processBundle!(bundle!);
      for (const [i, entry] of (response.entry ?? []).entries()) {
        const status = entry.response?.status ?? '';
        if (status.startsWith('201')) summary.created++;
        else if (status.startsWith('200')) {
          if (entry.response?.outcome) summary.unchanged++;
          else summary.updated++;
        } else if (!status.startsWith('204'))
          summary.rejected.push({ source: `${item.source}#entry[${i}]`, reason: status });
      }
    } catch (error) {
      summary.rejected.push({ source: item.source, reason: reasonOf(error) });
    }
    onProgress?.(done);
  }
  await writeHeld();
  return summary;
}
