import type { CodeSystem, CodeSystemConcept, Coding, PlanDefinition, PlanDefinitionAction, Questionnaire } from 'fhir/r4';
import { escapeValue } from '../../fhir/search/escaping';
import type { ResourceService } from '../../services/resource-service';
import type { ServerContext } from '../../services/server-context';
import { findQuestionnaire, searchResources } from '../../workflows/fhir-lookup';
import { LibraryAnswerCache } from '../../services/library-answer-cache';
import { orderCodings, type Order } from './orders';

/** A library plan that an order of the hook asks for, and what its card needs. */
export interface EducationMatch {
  plan: PlanDefinition;
  /** The order it matched (the first one with a date when several match the same plan). */
  order: Order;
  /** Questionnaires the plan's actions assign, by the canonical they name. */
  questionnaires: Map<string, Questionnaire>;
  /** The plan's coded risks (the leaf concepts of the CodeSystem it depends on). */
  risks: CodeSystemConcept[];
}

/**
 * The library plans for the orders, one per plan: an order matches a plan when any coding of
 * its code matches the `procedure` search parameter (PlanDefinition?procedure=system|code),
 * run through the search service, so that code translation applied there applies here too.
 * The plans found for a set of codes are kept in `cache` (dropped on any library change, a
 * ConceptMap included: docs/cds-hooks.md "Caching").
 */
export async function matchPlans(
  service: ResourceService,
  orders: Order[],
  hasDate: (order: Order) => boolean,
  cache: LibraryAnswerCache<PlanDefinition[]>,
): Promise<Map<string, { plan: PlanDefinition; order: Order }>> {
  const matches = new Map<string, { plan: PlanDefinition; order: Order }>();
  const coded = orders.map((order) => ({ order, value: orderCodings(order).map(tokenValue).join(',') })).filter((o) => o.value !== '');
  // One search per distinct set of codes, a few at a time: a session of 100 orders must not take the whole pool.
  const found = await mapWithConcurrency([...new Set(coded.map((o) => o.value))], SEARCH_CONCURRENCY, async (value) => {
    const plans = await cache.get(value, () =>
      searchResources<PlanDefinition>(service, 'PlanDefinition', [
        ['procedure', value],
        ['status', 'active'],
      ]),
    );
    return [value, plans] as const;
  });
  const plansFor = new Map(found);
  // In the order of the orders: the first matching order (the first dated one) wins.
  for (const { order, value } of coded) {
    for (const plan of plansFor.get(value) ?? []) {
      const known = matches.get(plan.id!);
      if (known === undefined || (!hasDate(known.order) && hasDate(order))) matches.set(plan.id!, { plan, order });
    }
  }
  return matches;
}

const SEARCH_CONCURRENCY = 4;

async function mapWithConcurrency<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function tokenValue(coding: Coding): string {
  return `${escapeValue(coding.system!)}|${escapeValue(coding.code!)}`;
}

export function flattenActions(actions: PlanDefinitionAction[]): PlanDefinitionAction[] {
  return actions.flatMap((a) => [a, ...flattenActions(a.action ?? [])]);
}

/** The Questionnaires the plan's actions name in definitionCanonical, found on this server. */
export async function planQuestionnaires(service: ResourceService, plan: PlanDefinition): Promise<Map<string, Questionnaire>> {
  const found = new Map<string, Questionnaire>();
  const canonicals = new Set(flattenActions(plan.action ?? []).map((a) => a.definitionCanonical).filter((c): c is string => c !== undefined));
  for (const canonical of canonicals) {
    const questionnaire = await findQuestionnaire(service, canonical);
    if (questionnaire !== undefined) found.set(canonical, questionnaire);
  }
  return found;
}

/**
 * The risks of a plan: the leaf concepts of the CodeSystem(s) its relatedArtifact lists as
 * `depends-on` (the library codes its risks in CodeSystem procedure-risk).
 */
export async function planRisks(service: ResourceService, plan: PlanDefinition): Promise<CodeSystemConcept[]> {
  const risks: CodeSystemConcept[] = [];
  const canonicals = (plan.relatedArtifact ?? [])
    .filter((a) => a.type === 'depends-on' && a.resource !== undefined && /\/CodeSystem\/[^/]+$/.test(a.resource.split('|')[0]))
    .map((a) => a.resource!);
  for (const canonical of canonicals) {
    const [url, version] = canonical.split('|');
    const params: [string, string][] = [['url', url]];
    if (version !== undefined) params.push(['version', version]);
    const [codeSystem] = await searchResources<CodeSystem>(service, 'CodeSystem', params);
    risks.push(...leafConcepts(codeSystem?.concept ?? []));
  }
  return risks;
}

function leafConcepts(concepts: CodeSystemConcept[]): CodeSystemConcept[] {
  return concepts.flatMap((c) => ((c.concept?.length ?? 0) > 0 ? leafConcepts(c.concept!) : [c]));
}

type PlanSupport = Pick<EducationMatch, 'questionnaires' | 'risks'>;

/**
 * What the cards keep from one call to the next, until the library changes: the plans found per
 * set of order codes, and each plan version's questionnaires and risks (an EHR calls for every
 * order; these change only when the library does).
 */
export class EducationCache {
  readonly plans: LibraryAnswerCache<PlanDefinition[]>;
  private readonly support: LibraryAnswerCache<PlanSupport>;

  constructor(ctx: ServerContext) {
    this.plans = new LibraryAnswerCache(ctx.hooks, ctx.config.sharedStateRefreshMs, 5000);
    this.support = new LibraryAnswerCache(ctx.hooks, ctx.config.sharedStateRefreshMs, 1000);
  }

  planSupport(service: ResourceService, plan: PlanDefinition): Promise<PlanSupport> {
    const key = `${plan.id}|${plan.meta?.versionId ?? ''}|${plan.meta?.lastUpdated ?? ''}`;
    return this.support.get(key, async () => {
      const [questionnaires, risks] = await Promise.all([planQuestionnaires(service, plan), planRisks(service, plan)]);
      return { questionnaires, risks };
    });
  }
}

/** Everything the cards for these orders need, one entry per plan. */
export async function findEducation(service: ResourceService, orders: Order[], hasDate: (order: Order) => boolean, cache: EducationCache): Promise<EducationMatch[]> {
  const matched = [...(await matchPlans(service, orders, hasDate, cache.plans)).values()];
  return Promise.all(matched.map(async ({ plan, order }) => ({ plan, order, ...(await cache.planSupport(service, plan)) })));
}
