import type { CodeSystem, CodeSystemConcept, Coding, PlanDefinition, PlanDefinitionAction, Questionnaire } from 'fhir/r4';
import { escapeValue } from '../../fhir/search/escaping';
import type { ResourceService } from '../../services/resource-service';
import { findQuestionnaire, searchResources } from '../../workflows/fhir-lookup';
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
 */
export async function matchPlans(service: ResourceService, orders: Order[], hasDate: (order: Order) => boolean): Promise<Map<string, { plan: PlanDefinition; order: Order }>> {
  const matches = new Map<string, { plan: PlanDefinition; order: Order }>();
  for (const order of orders) {
    const codings = orderCodings(order);
    if (codings.length === 0) continue;
    const plans = await searchResources<PlanDefinition>(service, 'PlanDefinition', [
      ['procedure', codings.map(tokenValue).join(',')],
      ['status', 'active'],
    ]);
    for (const plan of plans) {
      const known = matches.get(plan.id!);
      if (known === undefined || (!hasDate(known.order) && hasDate(order))) matches.set(plan.id!, { plan, order });
    }
  }
  return matches;
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

/** Everything the cards for these orders need, one entry per plan. */
export async function findEducation(service: ResourceService, orders: Order[], hasDate: (order: Order) => boolean): Promise<EducationMatch[]> {
  const out: EducationMatch[] = [];
  for (const { plan, order } of (await matchPlans(service, orders, hasDate)).values()) {
    out.push({ plan, order, questionnaires: await planQuestionnaires(service, plan), risks: await planRisks(service, plan) });
  }
  return out;
}

