import type { Coding } from 'fhir/r4';
import { indexKey } from '../../fhir/search/index-key';
import type { CdsHooksStore } from '../../store/cds-hooks-store';

/**
 * The active library plans by the order codes that find them: what
 * `PlanDefinition?procedure=system|code&status=active` matches for each code (the plans' own
 * procedure codes and the ConceptMap translations onto them, read from the same index rows the
 * search reads, keyed as those rows key their values: fhir/search/index-key.ts), so that a new
 * set of order codes costs no search.
 */
export class ProcedurePlanIndex {
  private constructor(private readonly ids: Map<string, string[]>) {}

  static async load(store: CdsHooksStore): Promise<ProcedurePlanIndex> {
    const ids = new Map<string, string[]>();
    for (const { system, code, id } of await store.activePlanProcedureCodes()) {
      const key = codeKey(system, code);
      const known = ids.get(key);
      if (known === undefined) ids.set(key, [id]);
      else if (!known.includes(id)) known.push(id);
    }
    return new ProcedurePlanIndex(ids);
  }

  /** Every code the index knows (system and code, as the index rows key them: a very long one shortened). */
  codings(): Coding[] {
    return [...this.ids.keys()].map((key) => {
      const [system, code] = key.split('\u0000');
      return { system, code };
    });
  }

  /** The ids of the plans any of the codings finds, each once, in the search's order (by id). */
  planIds(codings: Coding[]): string[] {
    const found = new Set<string>();
    for (const coding of codings) for (const id of this.ids.get(codeKey(indexKey(coding.system!), indexKey(coding.code!))) ?? []) found.add(id);
    return [...found].sort(compareIds);
  }
}

function codeKey(system: string, code: string): string {
  return `${system}\u0000${code}`;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
