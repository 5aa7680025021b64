import { FhirError } from '../fhir-error';
import type {
  CodeSystem,
  CodeSystemConcept,
  ValueSet,
  ValueSetComposeInclude,
  ValueSetComposeIncludeFilter,
  ValueSetExpansionContains,
} from 'fhir/r4';

/** Where the expander finds definitions by canonical URL (a `|version` suffix already removed). */
export interface TerminologySource {
  valueSet(url: string): ValueSet | undefined;
  codeSystem(url: string): CodeSystem | undefined;
}

/** One code of an expansion. */
export interface ExpandedConcept {
  system: string;
  code: string;
  display?: string;
}

/** Limits on what one expansion may cost; beyond them it is refused as too costly. */
export interface ExpansionLimits {
  /** Codes enumerated at any step of the expansion. */
  maxCodes: number;
  /** Distinct ValueSets expanded (the root and every one it imports, at any depth). */
  maxValueSets: number;
}

export const DEFAULT_EXPANSION_LIMITS: ExpansionLimits = { maxCodes: 10_000, maxValueSets: 50 };

/**
 * Why a value set cannot be expanded: `not-found` (it, or a value set it imports, is unknown),
 * `cycle` (it imports itself), `not-supported` (a part the server cannot evaluate exactly, such as
 * a filter on a code system it does not hold) or `too-costly` (beyond the limits).
 */
export class ExpansionError extends Error {
  constructor(
    readonly reason: 'not-found' | 'cycle' | 'not-supported' | 'too-costly',
    message: string,
  ) {
    super(message);
  }

  /** The error a client sees: always 400, with the reason as the issue code. */
  toFhirError(expression?: string): FhirError {
    const code = this.reason === 'cycle' ? 'invalid' : this.reason;
    return FhirError.of(400, code, this.message, expression);
  }
}

/**
 * The codes of an expanded value set, by system. A system included whole whose codes the server
 * cannot enumerate (SNOMED CT, LOINC, a code system it does not hold) is `all`: such a value set
 * can be matched by system (search) but not listed or checked code by code.
 */
export class Expansion {
  constructor(readonly bySystem: ReadonlyMap<string, 'all' | ReadonlyMap<string, ExpandedConcept>>) {}

  /** Systems included whole that the server cannot enumerate. */
  get openSystems(): string[] {
    return [...this.bySystem].filter(([, codes]) => codes === 'all').map(([system]) => system);
  }

  /** Every enumerated code, in the order of the definition. */
  get concepts(): ExpandedConcept[] {
    const out: ExpandedConcept[] = [];
    for (const codes of this.bySystem.values()) if (codes !== 'all') out.push(...codes.values());
    return out;
  }

  /**
   * Whether the code is in the value set: true, false, or undefined when only the server's
   * ignorance of an open system stands between it and an answer. A code without a system
   * matches the code in any system.
   */
  contains(system: string | undefined, code: string): boolean | undefined {
    if (system !== undefined) {
      const codes = this.bySystem.get(system);
      if (codes === undefined) return false;
      return codes === 'all' ? undefined : codes.has(code);
    }
    let unknown = false;
    for (const codes of this.bySystem.values()) {
      if (codes === 'all') unknown = true;
      else if (codes.has(code)) return true;
    }
    return unknown ? undefined : false;
  }

  /** The enumerated concept, for its display. */
  concept(system: string | undefined, code: string): ExpandedConcept | undefined {
    for (const [s, codes] of this.bySystem) {
      if ((system === undefined || s === system) && codes !== 'all') {
        const found = codes.get(code);
        if (found) return found;
      }
    }
    return undefined;
  }
}

type CodeSet = Map<string, 'all' | Map<string, ExpandedConcept>>;

/** The canonical URL without its `|version`. */
export function canonicalUrl(canonical: string): string {
  return canonical.split('|')[0];
}

/**
 * The one ValueSet expander of the server, used by search (`:in`, `:not-in`), by validation
 * (required bindings) and by the terminology operations. It follows R4's compose rules
 * (https://hl7.org/fhir/R4/valueset.html#compose): an include's system part and each of its
 * imported value sets are intersected, includes are united, excludes subtracted. It guards
 * against import cycles and refuses expansions beyond its limits, so a hostile definition
 * cannot hold the process. What it cannot expand exactly it refuses (ExpansionError) rather
 * than guess.
 */
export class ValueSetExpander {
  constructor(
    private readonly source: TerminologySource,
    private readonly limits: ExpansionLimits = DEFAULT_EXPANSION_LIMITS,
  ) {}

  /** Expands the value set with this canonical URL. Throws ExpansionError. */
  expand(canonical: string): Expansion {
    const url = canonicalUrl(canonical);
    const valueSet = this.source.valueSet(url);
    if (!valueSet) throw new ExpansionError('not-found', `ValueSet ${url} is not known to this server`);
    return this.expandValueSet(valueSet);
  }

  /** Expands a value set given as a resource (e.g. the instance of ValueSet/$expand). */
  expandValueSet(valueSet: ValueSet): Expansion {
    const run = new ExpansionRun(this.source, this.limits);
    return new Expansion(run.valueSetCodes(valueSet, valueSet.url ? [canonicalUrl(valueSet.url)] : []));
  }
}

/** The state of one expansion: memoised imports, the import path (for cycles) and the budget. */
class ExpansionRun {
  private readonly memo = new Map<string, CodeSet>();
  private codesSeen = 0;
  private valueSetsSeen = 1;

  constructor(
    private readonly source: TerminologySource,
    private readonly limits: ExpansionLimits,
  ) {}

  valueSetCodes(valueSet: ValueSet, path: string[]): CodeSet {
    const compose = valueSet.compose;
    if (!compose) {
      const contains = valueSet.expansion?.contains;
      if (!contains) {
        throw new ExpansionError('not-supported', `ValueSet ${valueSet.url ?? valueSet.id ?? ''} has neither compose nor expansion`);
      }
      const listed = flattenContains(contains);
      const total = valueSet.expansion?.total;
      if (total !== undefined && total > listed.length) {
        throw new ExpansionError('not-supported', `ValueSet ${valueSet.url ?? ''} carries only part of its expansion (${listed.length} of ${total} codes)`);
      }
      const result: CodeSet = new Map();
      for (const concept of listed) this.add(result, concept);
      return result;
    }
    const included: CodeSet = new Map();
    for (const include of compose.include) unite(included, this.includeCodes(include, path));
    for (const exclude of compose.exclude ?? []) subtract(included, this.includeCodes(exclude, path), valueSet.url ?? '');
    return included;
  }

  /** One include (or exclude): its system part intersected with each imported value set. */
  private includeCodes(include: ValueSetComposeInclude, path: string[]): CodeSet {
    let result: CodeSet | undefined = include.system ? this.systemCodes(include, include.system) : undefined;
    for (const imported of include.valueSet ?? []) {
      const codes = this.importedCodes(canonicalUrl(imported), path);
      result = result === undefined ? copy(codes) : intersect(result, codes);
    }
    return result ?? new Map();
  }

  private importedCodes(url: string, path: string[]): CodeSet {
    if (path.includes(url)) {
      throw new ExpansionError('cycle', `ValueSet ${url} includes itself (${[...path.slice(path.indexOf(url)), url].join(' -> ')})`);
    }
    const known = this.memo.get(url);
    if (known) return known;
    if (++this.valueSetsSeen > this.limits.maxValueSets) {
      throw new ExpansionError('too-costly', `The expansion imports more than ${this.limits.maxValueSets} value sets`);
    }
    const valueSet = this.source.valueSet(url);
    if (!valueSet) throw new ExpansionError('not-found', `ValueSet ${url} (imported by ${path[path.length - 1] ?? 'the value set'}) is not known to this server`);
    const codes = this.valueSetCodes(valueSet, [...path, url]);
    this.memo.set(url, codes);
    return codes;
  }

  private systemCodes(include: ValueSetComposeInclude, system: string): CodeSet {
    const result: CodeSet = new Map();
    if (include.concept) {
      const codeSystem = this.source.codeSystem(system);
      for (const c of include.concept) {
        const display = c.display ?? (codeSystem ? findConcept(codeSystem.concept ?? [], c.code)?.display : undefined);
        this.add(result, { system, code: c.code, ...(display !== undefined ? { display } : {}) });
      }
      if (!include.concept.length) result.set(system, new Map());
      return result;
    }
    const codeSystem = this.source.codeSystem(system);
    const complete = codeSystem !== undefined && (codeSystem.content === undefined || codeSystem.content === 'complete');
    if (!include.filter?.length) {
      if (!complete) {
        result.set(system, 'all');
        return result;
      }
      for (const concept of allConcepts(codeSystem.concept ?? [])) this.add(result, conceptOf(system, concept));
      if (!result.has(system)) result.set(system, new Map());
      return result;
    }
    if (!complete) {
      throw new ExpansionError('not-supported', `A filter on ${system} needs its concepts, which this server does not hold`);
    }
    let matched: CodeSystemConcept[] | undefined;
    for (const filter of include.filter) {
      const these = applyFilter(codeSystem, filter);
      matched = matched === undefined ? these : matched.filter((c) => these.includes(c));
    }
    result.set(system, new Map());
    for (const concept of matched ?? []) this.add(result, conceptOf(system, concept));
    return result;
  }

  private add(target: CodeSet, concept: ExpandedConcept): void {
    if (++this.codesSeen > this.limits.maxCodes) {
      throw new ExpansionError('too-costly', `The expansion has more than ${this.limits.maxCodes} codes`);
    }
    let codes = target.get(concept.system);
    if (codes === 'all') return;
    if (codes === undefined) target.set(concept.system, (codes = new Map()));
    if (!codes.has(concept.code)) codes.set(concept.code, concept);
  }
}

/** R4 valueset-filter: the filters a code system's own hierarchy and properties can answer. */
function applyFilter(codeSystem: CodeSystem, filter: ValueSetComposeIncludeFilter): CodeSystemConcept[] {
  const all = allConcepts(codeSystem.concept ?? []);
  const byHierarchy = filter.property === 'concept' || filter.property === 'code';
  const unsupported = () =>
    new ExpansionError('not-supported', `The filter ${filter.property} ${filter.op} ${filter.value} on ${codeSystem.url ?? ''} is not supported by this server`);
  const root = () => findConcept(codeSystem.concept ?? [], filter.value);
  const values = () => new Set(filter.value.split(',').map((v) => v.trim()));
  if (byHierarchy) {
    switch (filter.op) {
      case 'is-a': {
        const r = root();
        return r ? [r, ...allConcepts(r.concept ?? [])] : [];
      }
      case 'descendent-of': {
        const r = root();
        return r ? allConcepts(r.concept ?? []) : [];
      }
      case 'is-not-a': {
        const r = root();
        const below = new Set(r ? [r, ...allConcepts(r.concept ?? [])] : []);
        return all.filter((c) => !below.has(c));
      }
      case '=':
        return all.filter((c) => c.code === filter.value);
      case 'in':
        return all.filter((c) => values().has(c.code));
      case 'not-in':
        return all.filter((c) => !values().has(c.code));
      case 'regex': {
        if (filter.value.length > 200) throw unsupported();
        let pattern: RegExp;
        try {
          pattern = new RegExp(`^(?:${filter.value})$`);
        } catch {
          throw unsupported();
        }
        return all.filter((c) => pattern.test(c.code));
      }
      default:
        throw unsupported();
    }
  }
  const propertyValues = (c: CodeSystemConcept): string[] =>
    (c.property ?? [])
      .filter((p) => p.code === filter.property)
      .map((p) => p.valueCode ?? p.valueString ?? (p.valueBoolean !== undefined ? String(p.valueBoolean) : p.valueInteger !== undefined ? String(p.valueInteger) : undefined))
      .filter((v): v is string => v !== undefined);
  switch (filter.op) {
    case '=':
      return all.filter((c) => propertyValues(c).includes(filter.value));
    case 'in':
      return all.filter((c) => propertyValues(c).some((v) => values().has(v)));
    case 'not-in':
      return all.filter((c) => !propertyValues(c).some((v) => values().has(v)));
    case 'exists':
      return all.filter((c) => (propertyValues(c).length > 0) === (filter.value === 'true'));
    default:
      throw unsupported();
  }
}

function conceptOf(system: string, concept: CodeSystemConcept): ExpandedConcept {
  return { system, code: concept.code, ...(concept.display !== undefined ? { display: concept.display } : {}) };
}

export function allConcepts(concepts: CodeSystemConcept[]): CodeSystemConcept[] {
  return concepts.flatMap((c) => [c, ...allConcepts(c.concept ?? [])]);
}

export function findConcept(concepts: CodeSystemConcept[], code: string): CodeSystemConcept | undefined {
  for (const concept of concepts) {
    if (concept.code === code) return concept;
    const nested = findConcept(concept.concept ?? [], code);
    if (nested) return nested;
  }
  return undefined;
}

function flattenContains(items: ValueSetExpansionContains[]): ExpandedConcept[] {
  return items.flatMap((item) => [
    ...(item.system && item.code ? [{ system: item.system, code: item.code, ...(item.display !== undefined ? { display: item.display } : {}) }] : []),
    ...flattenContains(item.contains ?? []),
  ]);
}

function copy(codes: CodeSet): CodeSet {
  return new Map([...codes].map(([system, set]) => [system, set === 'all' ? 'all' : new Map(set)]));
}

function unite(target: CodeSet, other: CodeSet): void {
  for (const [system, codes] of other) {
    const mine = target.get(system);
    if (mine === 'all') continue;
    if (codes === 'all' || mine === undefined) target.set(system, codes === 'all' ? 'all' : new Map(codes));
    else for (const [code, concept] of codes) if (!mine.has(code)) mine.set(code, concept);
  }
}

function intersect(a: CodeSet, b: CodeSet): CodeSet {
  const result: CodeSet = new Map();
  for (const [system, codes] of a) {
    const other = b.get(system);
    if (other === undefined) continue;
    if (codes === 'all') result.set(system, other === 'all' ? 'all' : new Map(other));
    else if (other === 'all') result.set(system, new Map(codes));
    else result.set(system, new Map([...codes].filter(([code]) => other.has(code))));
  }
  return result;
}

function subtract(target: CodeSet, other: CodeSet, url: string): void {
  for (const [system, codes] of other) {
    const mine = target.get(system);
    if (mine === undefined) continue;
    if (codes === 'all') target.delete(system);
    else if (mine === 'all') {
      if (codes.size > 0) {
        throw new ExpansionError('not-supported', `ValueSet ${url} excludes codes from all of ${system}, which this server cannot enumerate`);
      }
    } else for (const code of codes.keys()) mine.delete(code);
  }
}
