import type { Bundle, DocumentReference, PlanDefinition, Resource } from 'fhir/r4';
import type { ServerContext } from '../../services/server-context';
import { BASE } from '../../workflows/codes';
import type { InfobuttonRequest, SearchCriterion } from './infobutton-request';
import { publicOrigin } from '../public-origin';
import { ID_CHARS } from '../../fhir/resource-types';

/** A URL ending in `/DocumentReference/id`: the id is the first group. */
const DOCUMENT_URL = new RegExp(`\\/DocumentReference\\/(${ID_CHARS})$`);

const SECTION = `${BASE}/CodeSystem/education-section`;
/** Matches listed at most per request (MedlinePlus Connect lists up to three topics per code). */
const MAX_MATCHES = 10;
/**
 * How long a plan's summaries are reused. Which plans match is searched for each request the
 * responder has no answer for (router.ts keeps answers until the library changes); the
 * summaries, taken from the plan's sections, are kept per plan version, so an edited section
 * shows after at most this long.
 */
const SUMMARY_TTL_MS = 60_000;
const MAX_CACHED_PLANS = 1000;

interface Summaries {
  PAT: string;
  PROV: string;
  expires: number;
}
const summaryCache = new Map<string, Summaries>();

/** One entry of the knowledge response: a handout and its summary for the recipient. */
export interface KnowledgeEntry {
  id: string;
  title: string;
  link: string;
  updated: string;
  /** HTML: a few paragraphs, all text taken from the library. */
  summary: string;
}


async function searchBundle(ctx: ServerContext, type: string, params: [string, string][]): Promise<Resource[]> {
  const { request, warnings } = ctx.searchService.parse([type], params, true);
  const result = await ctx.searchService.search(ctx.service.repository, type, request, warnings);
  const bundle = JSON.parse(result.body) as Bundle;
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match' && e.resource).map((e) => e.resource!);
}

/**
 * The PlanDefinitions for one criterion: by code through the `procedure` search (so a site's
 * ConceptMaps apply, and ICD-10-CM diagnoses through the library's map), or by title when only
 * a display name is given.
 */
function criterionSearches(ctx: ServerContext, criterion: SearchCriterion): [string, string][][] {
  const common: [string, string][] = [['_count', String(MAX_MATCHES)]];
  if (criterion.code !== undefined) return [[['procedure', `${escape(criterion.system!)}|${escape(criterion.code)}`], ...common]];
  const text = criterion.displayName!;
  const searches: [string, string][][] = [[['title:contains', text], ...common]];
  if (ctx.registry.forType('PlanDefinition').some((p) => p.code === 'alternative-name')) searches.push([['alternative-name:contains', text], ...common]);
  return searches;
}

/** FHIR search escaping of `,`, `|`, `$` and `\` in a value. */
function escape(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

export async function findKnowledge(ctx: ServerContext, request: InfobuttonRequest): Promise<KnowledgeEntry[]> {
  if (!request.languageAvailable) return [];
  const plans = new Map<string, PlanDefinition>();
  for (const criterion of request.criteria) {
    for (const params of criterionSearches(ctx, criterion)) {
      for (const resource of await searchBundle(ctx, 'PlanDefinition', params)) {
        // Only published material is offered (the status filter stays out of the search so it
        // remains a one-code lookup).
        const plan = resource as PlanDefinition;
        if (plans.size < MAX_MATCHES && plan.id && plan.status === 'active') plans.set(plan.id, plan);
      }
    }
  }
  if (plans.size === 0) return [];
  const summaries = await summariesOf(ctx, [...plans.values()]);
  const origin = publicOrigin(ctx.config.baseUrl);
  return [...plans.values()].map((plan) => ({
    id: `${ctx.config.baseUrl}/PlanDefinition/${plan.id!}`,
    title: plan.title ?? plan.name ?? plan.id!,
    link: `${origin}/education/${encodeURIComponent(plan.id!)}`,
    updated: plan.meta?.lastUpdated ?? plan.date ?? new Date().toISOString(),
    summary: summaries.get(plan.id!)![request.recipient],
  }));
}

/** Both summaries of each plan: from the cache while fresh, else from its sections (one search for all). */
async function summariesOf(ctx: ServerContext, plans: PlanDefinition[]): Promise<Map<string, Summaries>> {
  const now = Date.now();
  const key = (plan: PlanDefinition) => `${plan.id!}|${plan.meta?.versionId ?? ''}|${plan.meta?.lastUpdated ?? ''}`;
  const out = new Map<string, Summaries>();
  const missing: PlanDefinition[] = [];
  for (const plan of plans) {
    const cached = summaryCache.get(key(plan));
    if (cached && cached.expires > now) out.set(plan.id!, cached);
    else missing.push(plan);
  }
  if (missing.length === 0) return out;
  const documents = await sectionDocuments(ctx, missing);
  for (const plan of missing) {
    const summaries = { PAT: patientSummary(plan, documents), PROV: clinicianSummary(plan, documents), expires: now + SUMMARY_TTL_MS };
    if (summaryCache.size >= MAX_CACHED_PLANS) summaryCache.clear();
    summaryCache.set(key(plan), summaries);
    out.set(plan.id!, summaries);
  }
  return out;
}

/** The overview, indications and risks sections the plans point to, by section code (one search). */
async function sectionDocuments(ctx: ServerContext, plans: PlanDefinition[]): Promise<Map<string, Map<string, DocumentReference>>> {
  const byPlan = new Map<string, Map<string, DocumentReference>>();
  const idsByPlan = new Map<string, string[]>();
  for (const plan of plans) {
    const ids = (plan.relatedArtifact ?? [])
      .map((a) => DOCUMENT_URL.exec(a.url ?? '')?.[1])
      .filter((id): id is string => id !== undefined);
    idsByPlan.set(plan.id!, ids);
  }
  const allIds = [...new Set([...idsByPlan.values()].flat())];
  if (allIds.length === 0) return byPlan;
  const documents = (await searchBundle(ctx, 'DocumentReference', [
    ['_id', allIds.slice(0, 100).join(',')],
    ['type', ['overview', 'indications', 'risks'].map((c) => `${SECTION}|${c}`).join(',')],
  ])) as DocumentReference[];
  for (const [planId, ids] of idsByPlan) {
    const sections = new Map<string, DocumentReference>();
    for (const doc of documents) {
      const section = doc.type?.coding?.find((c) => c.system === SECTION)?.code;
      if (doc.id && ids.includes(doc.id) && section) sections.set(section, doc);
    }
    byPlan.set(planId, sections);
  }
  return byPlan;
}

/** The text/plain attachment of a section, decoded. */
function plainText(doc: DocumentReference | undefined): string | undefined {
  const attachment = doc?.content.map((c) => c.attachment).find((a) => a.contentType?.startsWith('text/plain') && a.data);
  return attachment?.data ? Buffer.from(attachment.data, 'base64').toString('utf8') : undefined;
}

function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '');
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function citation(plan: PlanDefinition): string {
  const source = plan.relatedArtifact?.find((a) => a.type === 'citation');
  return source?.display ? `<p>Source: ${html(source.display)}</p>` : '';
}

/**
 * For the patient: the first paragraphs of the overview section, as the library words them
 * (its plain-language sentences, not headings or lists); the plan's description otherwise.
 */
function patientSummary(plan: PlanDefinition, documents: Map<string, Map<string, DocumentReference>>): string {
  const overview = plainText(documents.get(plan.id!)?.get('overview'));
  const sentences = overview ? paragraphs(overview).slice(1).filter((p) => /[.!?]$/.test(p) && !p.startsWith('- ') && !p.startsWith('Source')).slice(0, 3) : [];
  const body = sentences.length > 0 ? sentences : [plan.description ?? plan.title ?? ''];
  return `${body.map((p) => `<p>${html(p)}</p>`).join('')}${citation(plan)}`;
}

/**
 * For a clinician: the indications and risks sections as the library words them, and what the
 * patient is told at each step (the plan's actions); the plan's purpose when it has none of them.
 */
function clinicianSummary(plan: PlanDefinition, documents: Map<string, Map<string, DocumentReference>>): string {
  const sections = documents.get(plan.id!);
  const parts: string[] = [];
  const indications = sectionDescription(sections?.get('indications'));
  if (indications) parts.push(`<p><strong>Indications:</strong> ${html(indications)}</p>`);
  const risks = (plainText(sections?.get('risks')) ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('- '))
    .map((l) => l.slice(2).replace(/\.$/, ''));
  if (risks.length > 0) parts.push(`<p><strong>Risks the patient is told about:</strong> ${html(risks.join('; '))}.</p>`);
  const steps = (plan.action ?? []).filter((a) => a.title).map((a) => `<li>${html(a.title!)}${a.description ? `: ${html(a.description)}` : ''}</li>`);
  if (steps.length > 0) parts.push(`<p><strong>What the patient is told, step by step:</strong></p><ul>${steps.join('')}</ul>`);
  if (parts.length === 0) parts.push(`<p>${html(plan.purpose ?? plan.description ?? plan.title ?? '')}</p>`);
  return `${parts.join('')}${citation(plan)}`;
}

/** A section's description without its leading title ("Foraminotomy - Why…?. Why the surgery is done: …"). */
function sectionDescription(doc: DocumentReference | undefined): string | undefined {
  const description = doc?.description;
  if (!description) return undefined;
  const title = doc.content.map((c) => c.attachment.title).find((t) => t !== undefined && description.startsWith(t));
  const rest = title ? description.slice(title.length).replace(/^[.\s]+/, '') : description;
  const colon = rest.indexOf(': ');
  return colon > 0 && colon < 40 ? rest.slice(colon + 2) : rest;
}
