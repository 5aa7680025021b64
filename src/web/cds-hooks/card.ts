import type { CodeSystemConcept, CommunicationRequest, FhirResource, PlanDefinition, Questionnaire, Reference, Task } from 'fhir/r4';
import { shiftMoment } from '../../workflows/action-timing';
import { COMPLETE_QUESTIONNAIRE, SDC_INPUT_QUESTIONNAIRE, SDC_TEMP_SYSTEM, WORKFLOW_TASK_SYSTEM } from '../../workflows/codes';
import { formatDay, formatRelativeWindow, formatWindow, type TimelinePhase } from './timeline';

/** CDS Hooks 2.0 response types (index.md "CDS Service Response"): only what we send. */
export interface CdsCoding {
  system: string;
  code: string;
  display?: string;
}
export interface CdsAction {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: FhirResource;
}
export interface CdsSuggestion {
  label: string;
  uuid?: string;
  isRecommended?: boolean;
  actions?: CdsAction[];
}
export interface CdsLink {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}
export interface CdsCard {
  uuid?: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; icon?: string; topic?: CdsCoding };
  suggestions?: CdsSuggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  links?: CdsLink[];
}

/** The card's topic: patient education (definition-topic, as PlanDefinition.topic uses it). */
export const EDUCATION_TOPIC: CdsCoding = { system: 'http://terminology.hl7.org/CodeSystem/definition-topic', code: 'education', display: 'Education' };
const SUMMARY_LIMIT = 139;

/** Everything one card is made from; the lookups happen before, in education-lookup.ts. */
export interface CardInput {
  plan: PlanDefinition;
  /** `ServiceRequest/abc`: the order the card is for. */
  orderReference: string | undefined;
  /** Day 0 (the order's occurrence date), when it has one. */
  dayZero: string | undefined;
  /** The preparation steps, dated from day 0 (or from a stand-in day 0 when there is none). */
  phases: TimelinePhase[];
  timelineDayZero: string;
  risks: CodeSystemConcept[];
  questionnaire: { canonical: string; resource: Questionnaire } | undefined;
  patientId: string;
  encounterId: string | undefined;
  /** The user (Practitioner/PractitionerRole) who orders: requester of the suggested resources. */
  requester: Reference | undefined;
  /** Public origin of the patient pages, e.g. https://education.example.org */
  origin: string;
  /** Our FHIR base, where the Questionnaire can be read. */
  fhirBase: string;
  smartAppUrl: string | undefined;
  now: string;
  uuid: () => string;
}

/**
 * GitHub Flavored Markdown: library text is shown as written, never as markup. The text always
 * follows other text on its line, so only the characters that act inline are escaped.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|~]/g, (ch) => `\\${ch}`).replace(/\s+/g, ' ').trim();
}

/** "foraminotomy": the procedure's plain name (the focus use context's text, else the title before a colon). */
export function procedureName(plan: PlanDefinition): string {
  const focus = plan.useContext?.find((u) => u.code?.code === 'focus')?.valueCodeableConcept?.text;
  const name = (focus ?? plan.title?.split(':')[0] ?? plan.name ?? 'this procedure').trim();
  // A capitalised word reads lower-case mid-sentence; an acronym (CT, MRI) stays as it is.
  return /^[A-Z][a-z]/.test(name) ? name[0].toLowerCase() + name.slice(1) : name;
}

export function summaryOf(plan: PlanDefinition, hasSteps: boolean, hasQuestionnaire: boolean): string {
  const parts = ['handout', ...(hasSteps ? ['preparation steps'] : []), ...(hasQuestionnaire ? ['pre-op questionnaire'] : [])];
  const summary = `Patient education for ${procedureName(plan)}: ${parts.join(', ')}`;
  return summary.length <= SUMMARY_LIMIT ? summary : `${summary.slice(0, SUMMARY_LIMIT - 1)}…`;
}

export function sourceOf(plan: PlanDefinition, origin: string): CdsCard['source'] {
  const site = plan.contact?.flatMap((c) => c.telecom ?? []).find((t) => t.system === 'url' && /^https?:\/\//.test(t.value ?? ''))?.value;
  return { label: plan.publisher ?? 'Patient education library', url: site ?? origin, topic: EDUCATION_TOPIC };
}

export function risksMarkdown(risks: CodeSystemConcept[]): string[] {
  const lines = risks
    .filter((r) => (r.display ?? '') !== '')
    .map((r) => `- **${escapeMarkdown(r.display!)}**${r.definition ? `: ${escapeMarkdown(r.definition)}` : ''}`);
  return lines.length > 0 ? ['**Key risks**', '', ...lines] : [];
}

export function timelineMarkdown(input: Pick<CardInput, 'phases' | 'dayZero' | 'timelineDayZero'>): string[] {
  if (input.phases.length === 0) return [];
  const when = (start: string | undefined, end: string | undefined) =>
    input.dayZero !== undefined ? formatWindow(start, end) : formatRelativeWindow(start, end, input.timelineDayZero);
  const heading =
    input.dayZero !== undefined
      ? `**Preparation timeline** (procedure on ${formatDay(input.dayZero.slice(0, 10), true)})`
      : '**Preparation timeline** (the order has no date yet: days are counted from the day of surgery)';
  const lines = [heading, ''];
  for (const phase of input.phases) {
    lines.push(`*${escapeMarkdown(phase.title)}*`, '');
    for (const step of phase.steps) lines.push(`- ${when(step.start, step.end)}: ${escapeMarkdown(step.title)}`);
    lines.push('');
  }
  return lines;
}

export function detailOf(input: CardInput): string {
  const risks = risksMarkdown(input.risks);
  const timeline = timelineMarkdown(input);
  return [...risks, ...(risks.length > 0 && timeline.length > 0 ? [''] : []), ...timeline].join('\n').trim();
}

export function handoutUrl(origin: string, plan: PlanDefinition): string {
  return `${origin}/education/${encodeURIComponent(plan.id!)}`;
}

export function linksOf(input: CardInput): CdsLink[] {
  const links: CdsLink[] = [{ label: `Patient handout: ${input.plan.title ?? procedureName(input.plan)}`, url: handoutUrl(input.origin, input.plan), type: 'absolute' }];
  if (input.smartAppUrl !== undefined) {
    const appContext = { planDefinition: `PlanDefinition/${input.plan.id}`, ...(input.orderReference ? { order: input.orderReference } : {}) };
    links.push({ label: 'Open the patient-education app', url: input.smartAppUrl, type: 'smart', appContext: JSON.stringify(appContext) });
  }
  return links;
}

function patientReference(input: CardInput): Reference {
  return { reference: `Patient/${input.patientId}` };
}

/** Elements both suggested resources share: the order they follow from, the encounter, who asks. */
function requestContext(input: CardInput): Pick<Task, 'basedOn' | 'encounter' | 'requester'> {
  return {
    ...(input.orderReference ? { basedOn: [{ reference: input.orderReference }] } : {}),
    ...(input.encounterId ? { encounter: { reference: `Encounter/${input.encounterId}` } } : {}),
    ...(input.requester ? { requester: input.requester } : {}),
  };
}

/** "Give the patient the handout": a CommunicationRequest whose payload is the handout page. */
export function handoutRequest(input: CardInput): CommunicationRequest {
  const name = procedureName(input.plan);
  return {
    resourceType: 'CommunicationRequest',
    status: 'active',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'instruction', display: 'Instruction' }] }],
    priority: 'routine',
    subject: patientReference(input),
    recipient: [patientReference(input)],
    payload: [
      { contentString: `Please read this handout about your ${name}: what it is, how to prepare, and the risks.` },
      {
        contentAttachment: {
          contentType: 'text/html',
          url: handoutUrl(input.origin, input.plan),
          title: input.plan.title ?? `Patient handout: ${name}`,
          ...(input.plan.language ? { language: input.plan.language } : {}),
        },
      },
    ],
    authoredOn: input.now,
    ...requestContext(input),
  };
}

/**
 * "Assign the pre-op questionnaire": a Task following the SDC task pattern (SDC
 * workflow.html#task-based): code complete-questionnaire, for and owned by the patient, the
 * Questionnaire as focus and as the canonical input, based on the order, due 7 days before
 * the procedure when the order has a date.
 */
export function questionnaireTask(input: CardInput): Task | undefined {
  if (input.questionnaire === undefined) return undefined;
  const { canonical, resource } = input.questionnaire;
  const title = resource.title ?? resource.name;
  return {
    resourceType: 'Task',
    status: 'requested',
    intent: 'order',
    priority: 'routine',
    code: {
      coding: [
        { system: SDC_TEMP_SYSTEM, code: COMPLETE_QUESTIONNAIRE, display: 'Complete Questionnaire' },
        { system: WORKFLOW_TASK_SYSTEM, code: COMPLETE_QUESTIONNAIRE, display: 'Complete questionnaire' },
      ],
    },
    description: title ? `Complete the pre-op questionnaire: ${title}` : 'Complete the pre-op questionnaire',
    focus: { reference: `${input.fhirBase}/Questionnaire/${resource.id}`, ...(title ? { display: title } : {}) },
    for: patientReference(input),
    authoredOn: input.now,
    owner: patientReference(input),
    ...(input.dayZero !== undefined ? { executionPeriod: { end: shiftMoment(input.dayZero, -7, 'd') } } : {}),
    input: [{ type: { coding: [SDC_INPUT_QUESTIONNAIRE] }, valueCanonical: canonical }],
    ...requestContext(input),
  };
}

export function suggestionsOf(input: CardInput): CdsSuggestion[] {
  const suggestions: CdsSuggestion[] = [
    {
      label: 'Give the patient the handout',
      uuid: input.uuid(),
      actions: [{ type: 'create', description: `Send the ${procedureName(input.plan)} handout to the patient`, resource: handoutRequest(input) }],
    },
  ];
  const task = questionnaireTask(input);
  if (task !== undefined) {
    suggestions.push({
      label: 'Assign the pre-op questionnaire',
      uuid: input.uuid(),
      actions: [{ type: 'create', description: `Ask the patient to complete: ${task.focus?.display ?? 'the pre-op questionnaire'}`, resource: task }],
    });
  }
  return suggestions;
}

/** One card for one plan (CDS Hooks 2.0 "Card Attributes"); no null or empty member. */
export function educationCard(input: CardInput): CdsCard {
  const detail = detailOf(input);
  return {
    uuid: input.uuid(),
    summary: summaryOf(input.plan, input.phases.length > 0, input.questionnaire !== undefined),
    ...(detail !== '' ? { detail } : {}),
    indicator: 'info',
    source: sourceOf(input.plan, input.origin),
    suggestions: suggestionsOf(input),
    selectionBehavior: 'any',
    links: linksOf(input),
  };
}
