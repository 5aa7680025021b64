import type { SearchParameter } from 'fhir/r4';
import type { ServerContext } from '../services/server-context';

/**
 * SearchParameters written through the API in earlier runs join the registry at start-up, each
 * checked again by the rules a write meets today (no core parameter redefined on its base, an
 * expression within the FHIRPath limits): one stored by an older build that breaks them is left
 * out, with a warning naming it, so an old database cannot bring it back.
 */
export async function registerStoredSearchParameters(ctx: ServerContext): Promise<number> {
  const rows = await ctx.service.repository.searchPage({ resourceTypes: ['SearchParameter'], filters: [], sort: [], limit: 10_000 });
  let added = 0;
  for (const row of rows) {
    const sp = JSON.parse(row.content) as SearchParameter;
    if (sp.status === 'retired' || !sp.expression) continue;
    const issues = ctx.registry.storedParameterIssues(sp);
    if (issues.length > 0) {
      ctx.logger.warn(
        { searchParameter: `SearchParameter/${row.id}`, url: sp.url, code: sp.code, problems: issues.map((i) => i.diagnostics ?? i.code) },
        `stored SearchParameter/${row.id} breaks the rules for stored SearchParameters and is not registered: fix or delete it`,
      );
      continue;
    }
    ctx.registry.add(sp);
    added++;
  }
  return added;
}
