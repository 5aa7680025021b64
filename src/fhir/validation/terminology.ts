import type {
  CodeSystem,
  CodeSystemConcept,
  ValueSet,
  ValueSetComposeInclude,
  ValueSetExpansionContains,
} from 'fhir/r4';

/** The codes of an expanded ValueSet, by code system. */
export class ValueSetCodes {
  constructor(private readonly bySystem: ReadonlyMap<string, ReadonlySet<string>>) {}

  /** A code without a system matches the code in any system of the value set. */
  contains(system: string | undefined, code: string): boolean {
    if (system !== undefined) return this.bySystem.get(system)?.has(code) ?? false;
    for (const codes of this.bySystem.values()) if (codes.has(code)) return true;
    return false;
  }

  /** A mutable copy, for set algebra while expanding imports. */
  toMap(): Map<string, Set<string>> {
    return new Map([...this.bySystem].map(([system, codes]) => [system, new Set(codes)]));
  }
}

/**
 * Expands ValueSets from the definitions it is given (the R4 core value sets and code
 * systems, and ours), for required-binding checks. It only expands what it can expand
 * exactly: enumerated concepts, whole code systems whose content is complete, is-a /
 * descendent-of filters on a loaded hierarchy, and imports of such value sets. Anything else
 * (external systems such as SNOMED CT or BCP-13 media types, other filters) yields
 * `undefined`, and the caller skips the check rather than guess.
 */
export class Terminology {
  private readonly valueSets = new Map<string, ValueSet>();
  private readonly codeSystems = new Map<string, CodeSystem>();
  private readonly expansions = new Map<string, ValueSetCodes | undefined>();
  private readonly expanding = new Set<string>();

  constructor(resources: Iterable<ValueSet | CodeSystem>) {
    for (const resource of resources) {
      if (!resource.url) continue;
      if (resource.resourceType === 'ValueSet') this.valueSets.set(resource.url, resource);
      else this.codeSystems.set(resource.url, resource);
    }
  }

  /** The expansion of the value set with this canonical URL (a `|version` suffix is ignored). */
  expand(canonical: string): ValueSetCodes | undefined {
    const url = canonical.split('|')[0];
    if (this.expansions.has(url)) return this.expansions.get(url);
    if (this.expanding.has(url)) return undefined; // an import cycle cannot be expanded
    this.expanding.add(url);
    const valueSet = this.valueSets.get(url);
    const result = valueSet ? this.expandValueSet(valueSet) : undefined;
    this.expanding.delete(url);
    this.expansions.set(url, result);
    return result;
  }

  private expandValueSet(valueSet: ValueSet): ValueSetCodes | undefined {
    const compose = valueSet.compose;
    if (!compose)
      return valueSet.expansion?.contains ? codesFromExpansion(valueSet.expansion.contains) : undefined;
    if (compose.inactive === false) return undefined;
    const included = new Map<string, Set<string>>();
    for (const include of compose.include) {
      const codes = this.codesOf(include);
      if (!codes) return undefined;
      for (const [system, set] of codes) addAll(included, system, set);
    }
    for (const exclude of compose.exclude ?? []) {
      const codes = this.codesOf(exclude);
      if (!codes) return undefined;
      for (const [system, set] of codes) for (const code of set) included.get(system)?.delete(code);
    }
    return new ValueSetCodes(included);
  }

  private codesOf(include: ValueSetComposeInclude): Map<string, Set<string>> | undefined {
    let result: Map<string, Set<string>> | undefined;
    if (include.system) {
      const codes = this.systemCodes(include);
      if (!codes) return undefined;
      result = new Map([[include.system, codes]]);
    }
    for (const imported of include.valueSet ?? []) {
      const expansion = this.expand(imported);
      if (!expansion) return undefined;
      const importedCodes = expansion.toMap();
      result = result ? intersect(result, importedCodes) : importedCodes;
    }
    return result;
  }

  private systemCodes(include: ValueSetComposeInclude): Set<string> | undefined {
    if (include.concept) return new Set(include.concept.map((c) => c.code));
    const codeSystem = include.system ? this.codeSystems.get(include.system.split('|')[0]) : undefined;
    if (!codeSystem || (codeSystem.content !== undefined && codeSystem.content !== 'complete'))
      return undefined;
    if (!include.filter?.length) return new Set(allCodes(codeSystem.concept ?? []));
    let codes: Set<string> | undefined;
    for (const filter of include.filter) {
      if (filter.property !== 'concept' || (filter.op !== 'is-a' && filter.op !== 'descendent-of'))
        return undefined;
      const root = findConcept(codeSystem.concept ?? [], filter.value);
      if (!root) return undefined;
      const matched = new Set(allCodes(root.concept ?? []));
      if (filter.op === 'is-a') matched.add(root.code);
      codes = codes ? new Set([...codes].filter((c) => matched.has(c))) : matched;
    }
    return codes;
  }
}

function allCodes(concepts: CodeSystemConcept[]): string[] {
  return concepts.flatMap((c) => [c.code, ...allCodes(c.concept ?? [])]);
}

function findConcept(concepts: CodeSystemConcept[], code: string): CodeSystemConcept | undefined {
  for (const concept of concepts) {
    if (concept.code === code) return concept;
    const nested = findConcept(concept.concept ?? [], code);
    if (nested) return nested;
  }
  return undefined;
}

function codesFromExpansion(contains: ValueSetExpansionContains[]): ValueSetCodes {
  const bySystem = new Map<string, Set<string>>();
  const visit = (items: ValueSetExpansionContains[]): void => {
    for (const item of items) {
      if (item.system && item.code) addAll(bySystem, item.system, [item.code]);
      visit(item.contains ?? []);
    }
  };
  visit(contains);
  return new ValueSetCodes(bySystem);
}

function addAll(target: Map<string, Set<string>>, system: string, codes: Iterable<string>): void {
  let set = target.get(system);
  if (!set) target.set(system, (set = new Set()));
  for (const code of codes) set.add(code);
}

function intersect(a: Map<string, Set<string>>, b: Map<string, Set<string>>): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const [system, codes] of a) {
    const other = b.get(system);
    if (other) result.set(system, new Set([...codes].filter((c) => other.has(c))));
  }
  return result;
}
