import type { Resource } from 'fhir/r4';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { Repository } from '../store/repository';

export interface ReindexProgress {
  done: number;
  total: number;
}

const BATCH = 500;

/**
 * Rebuilds the search-index rows of every live resource (of one type, or all), e.g. after
 * a SearchParameter was added. Each batch commits on its own, so a long reindex never
 * holds one huge transaction and searches keep working meanwhile.
 */
export async function reindex(
  store: Repository,
  extractor: IndexValueExtractor,
  resourceType: string | undefined,
  onProgress?: (progress: ReindexProgress) => void,
): Promise<ReindexProgress> {
  const total = await store.countLive(resourceType);
  let done = 0;
  let after = '0';
  onProgress?.({ done, total });
  for (;;) {
    const rows = await store.livePage(resourceType, after, BATCH);
    if (rows.length === 0) break;
    await store.transaction(async (tx) => {
      for (const row of rows) {
        const resource = JSON.parse(row.content) as Resource;
        await tx.reindex(row.rid, row.resource_type, extractor.extract(resource));
      }
    });
    done += rows.length;
    after = rows[rows.length - 1].rid;
    onProgress?.({ done, total: Math.max(total, done) });
  }
  return { done, total: Math.max(total, done) };
}
