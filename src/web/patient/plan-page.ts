import type { CarePlan, DocumentReference, RequestGroup, RequestGroupAction } from 'fhir/r4';
import type { ResourceService } from '../../services/resource-service';
import { localBases, parseReference, readReference } from '../../workflows/fhir-lookup';
import { sectionAnchor, sectionHeadingOf } from './handout';
import { escapeHtml } from './layout';
import { TEXTS } from './texts';

/** One step of the dated plan, as the page shows it. */
export interface PlanStep {
  id: string;
  title: string;
  detail: string | undefined;
  /** First and last day (YYYY-MM-DD); `end` undefined for "from this day on". */
  start: string | undefined;
  end: string | undefined;
  /** The handout section that explains the step (`#anchor`), when known. */
  section: string | undefined;
}

export interface PlanPhase {
  title: string;
  /** The phase's own days, when its action has a timing. */
  when: string;
  steps: PlanStep[];
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function dayOf(moment: string | undefined): string | undefined {
  return moment === undefined ? undefined : /^\d{4}-\d{2}-\d{2}/.exec(moment)?.[0];
}

/** "2026-12-08" -> "Tue 8 Dec" (the calendar day as written). */
export function shortDay(day: string): string {
  const date = new Date(`${day}T12:00:00Z`);
  return `${DAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}`;
}

/** The words for a step's dates: one day, a range, or "from" a day. */
export function dateLabel(step: Pick<PlanStep, 'start' | 'end'>): string {
  if (step.start === undefined && step.end === undefined) return '';
  if (step.start === undefined) return `By ${shortDay(step.end!)}`;
  if (step.end === undefined) return `From ${shortDay(step.start)}`;
  if (step.start === step.end) return shortDay(step.start);
  return `${shortDay(step.start)} – ${shortDay(step.end)}`;
}

function stepOf(action: RequestGroupAction, sections: Map<string, string>): PlanStep {
  const start = dayOf(action.timingPeriod?.start ?? action.timingDateTime);
  const end = action.timingPeriod !== undefined ? dayOf(action.timingPeriod.end) : start;
  const documentUrl = action.documentation?.find((d) => d.type === 'documentation')?.url;
  return {
    id: action.id ?? '',
    title: action.title ?? action.textEquivalent ?? action.description ?? '',
    detail: action.title !== undefined ? action.description : undefined,
    start,
    end,
    section: documentUrl !== undefined ? sections.get(documentUrl) : undefined,
  };
}

function sortKey(step: PlanStep): string {
  return step.start ?? step.end ?? '9999';
}

/**
 * The phases and steps of an applied plan (the CarePlan of $apply), each step with its days
 * and the handout section of its documentation, in date order within each phase.
 */
export async function planPhases(carePlan: CarePlan, service: ResourceService): Promise<PlanPhase[]> {
  const group = (carePlan.contained ?? []).find((r): r is RequestGroup => r.resourceType === 'RequestGroup');
  const actions = group?.action ?? [];
  const urls = new Set(actions.flatMap((a) => [a, ...(a.action ?? [])]).flatMap((a) => a.documentation ?? []).map((d) => d.url).filter((u): u is string => u !== undefined));
  const sections = new Map<string, string>();
  for (const url of urls) {
    const target = parseReference(url, localBases(service));
    if (target?.resourceType !== 'DocumentReference') continue;
    const document = await readReference<DocumentReference>(service, `DocumentReference/${target.id}`);
    const heading = document !== undefined ? sectionHeadingOf(document) : undefined;
    if (heading !== undefined) sections.set(url, sectionAnchor(heading));
  }
  return actions.map((phase) => {
    const children = phase.action && phase.action.length > 0 ? phase.action : [phase];
    const steps = children.map((a) => stepOf(a, sections)).sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    return { title: phase.title ?? '', when: dateLabel(stepOf(phase, sections)), steps };
  });
}

/** Today's steps (the day falls within their days) and the next step (the first that starts after today). */
export function highlights(phases: PlanPhase[], today: string): { today: Set<string>; next: string | undefined } {
  const steps = phases.flatMap((p) => p.steps);
  // A step is today's when today falls in its days; "by a day" steps are today's until that day.
  const current = new Set(steps.filter((s) => (s.start !== undefined || s.end !== undefined) && (s.start ?? today) <= today && (s.end === undefined || s.end >= today)).map((s) => s.id));
  const upcoming = steps.filter((s) => s.start !== undefined && s.start > today).sort((a, b) => sortKey(a).localeCompare(sortKey(b)))[0];
  return { today: current, next: upcoming?.id };
}

/** The plan as HTML: a checklist per phase, today's and the next step marked in words and colour. */
export function renderPlan(options: { phases: PlanPhase[]; planDefinitionId: string; surgeryDay: string | undefined; today: string }): string {
  const { today, next } = highlights(options.phases, options.today);
  const handout = `/education/${encodeURIComponent(options.planDefinitionId)}`;
  const phases = options.phases
    .map((phase, p) => {
      const items = phase.steps
        .map((step, s) => {
          const id = `step-${p}-${s}`;
          const marks: string[] = [];
          if (today.has(step.id)) marks.push(`<strong class="tag tag--today">${escapeHtml(TEXTS.planToday)}</strong>`);
          if (next === step.id) marks.push(`<strong class="tag tag--next">${escapeHtml(TEXTS.planNext)}</strong>`);
          const cls = ['checklist__item', today.has(step.id) ? 'checklist__item--today' : '', next === step.id ? 'checklist__item--next' : ''].filter(Boolean).join(' ');
          const when = dateLabel(step);
          return `<li class="${cls}" data-step="${escapeHtml(step.id)}">
<div class="checkbox"><input class="checkbox__input" type="checkbox" id="${id}" data-step="${escapeHtml(step.id)}"><label class="checkbox__label" for="${id}">${escapeHtml(step.title)}</label></div>
${marks.join(' ')}${when ? `<p class="checklist__date">${escapeHtml(when)}</p>` : ''}
${step.detail ? `<p class="checklist__detail">${escapeHtml(step.detail)}</p>` : ''}
${step.section ? `<p class="checklist__more"><a href="${escapeHtml(`${handout}#${step.section}`)}">${escapeHtml(TEXTS.planReadMore)}<span class="visually-hidden">: ${escapeHtml(step.title)}</span></a></p>` : ''}
</li>`;
        })
        .join('\n');
      return `<section class="plan-phase" aria-labelledby="phase-${p}"><h2 id="phase-${p}">${escapeHtml(phase.title)}</h2>\n${phase.when ? `<p class="plan-phase__date">${escapeHtml(phase.when)}</p>\n` : ''}<ul class="checklist">\n${items}\n</ul></section>`;
    })
    .join('\n');
  const surgery = options.surgeryDay ? `<p class="plan-surgery">${escapeHtml(TEXTS.planSurgeryDay)} <strong>${escapeHtml(shortDay(options.surgeryDay))}</strong>.</p>` : '';
  return `${surgery}\n<p>${escapeHtml(TEXTS.planIntro)}</p>\n${phases}`;
}
