import type { CodeSystem, ValueSet } from 'fhir/r4';
import { canonicalUrl, Expansion, ExpansionError, ValueSetExpander } from '../terminology/value-set-expander';

/**
 * The value sets and code systems validation checks required bindings against (the R4 core
 * ones and ours), expanded by the server's one ValueSetExpander. A binding is checked only
 * when its value set expands exactly to an enumerated list: anything else (a whole external
 * system such as SNOMED CT or BCP-13 media types, an unsupported filter, an import cycle, an
 * unknown value set) yields `undefined`, and the caller skips the check rather than guess.
 */
export class Terminology {
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly expansions = new Map<string, Expansion | undefined>();
  private readonly expander: ValueSetExpander;

  constructor(resources: Iterable<ValueSet | CodeSystem>) {
    for (const resource of resources) {
      if (!resource.url) continue;
      if (resource.resourceType === 'ValueSet') this.valueSets.set(resource.url, resource);
      else this.codeSystems.set(resource.url, resource);
    }
    this.expander = new ValueSetExpander({
      valueSet: (url) => this.valueSets.get(url),
      codeSystem: (url) => this.codeSystems.get(url),
    });
  }

  /** The expansion of the value set with this canonical URL (a `|version` suffix is ignored). */
  expand(canonical: string): Expansion | undefined {
    const url = canonicalUrl(canonical);
    if (this.expansions.has(url)) return this.expansions.get(url);
    let result: Expansion | undefined;
    try {
      result = this.expander.expand(url);
      if (result.openSystems.length > 0) result = undefined;
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      result = undefined;
    }
    this.expansions.set(url, result);
    return result;
  }
}
