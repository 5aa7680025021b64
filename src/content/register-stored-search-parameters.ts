import type { SearchParameter } from 'fhir/r4';
import type { ServerContext } from '../services/server-context';

/** SearchParameters written through the API in earlier runs join the registry at start-up. */
export async function registerStoredSearchParameters(ctx: ServerContext): Promise<number> {
  const rows = await ctx.service.repository.searchPage({ resourceTypes: ['SearchParameter'], filters: [], sort: [], limit: 10_000 });
  let added = 0;
  for (const row of rows) {
    const sp = JSON.parse(row.content) as SearchParameter;
    if (sp.status === 'retired' || !sp.expression) continue;
    ctx.registry.add(sp);
    added++;
  }
  return added;
}
