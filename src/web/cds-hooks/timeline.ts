import type { CarePlan, RequestGroup, RequestGroupAction } from 'fhir/r4';

/** A step of the preparation, with its window as dates (YYYY-MM-DD); no start = any time until `end`. */
export interface TimelineStep {
  title: string;
  start: string | undefined;
  end: string | undefined;
}

/** A group of steps of the plan (e.g. "The week before surgery"). */
export interface TimelinePhase {
  title: string;
  steps: TimelineStep[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The date part of a FHIR date or dateTime (a dateTime keeps its own offset, so this is its local day). */
function day(moment: string | undefined): string | undefined {
  return moment === undefined ? undefined : moment.slice(0, 10);
}

function windowOf(action: RequestGroupAction): { start: string | undefined; end: string | undefined } {
  if (action.timingDateTime !== undefined) return { start: day(action.timingDateTime), end: day(action.timingDateTime) };
  return { start: day(action.timingPeriod?.start), end: day(action.timingPeriod?.end) };
}

function leaves(action: RequestGroupAction): RequestGroupAction[] {
  return (action.action?.length ?? 0) > 0 ? action.action!.flatMap(leaves) : [action];
}

/**
 * The preparation part of a plan applied with $apply (workflows/apply-plan.ts): the top-level
 * groups that end on or before day 0, each with its leaf steps and their dates. Steps after
 * the operation (recovery) are the handout's business, not the ordering clinician's.
 */
export function preparationPhases(carePlan: CarePlan, dayZero: string): TimelinePhase[] {
  const group = carePlan.contained?.find((r): r is RequestGroup => r.resourceType === 'RequestGroup');
  const zero = day(dayZero)!;
  const phases: TimelinePhase[] = [];
  for (const action of group?.action ?? []) {
    const { end } = windowOf(action);
    if (end === undefined || end > zero) continue;
    const steps = leaves(action)
      .filter((a) => a.title !== undefined && a.title !== '')
      .map((a) => ({ title: a.title!, ...windowOf(a) }));
    if (steps.length > 0) phases.push({ title: action.title ?? 'Preparation', steps });
  }
  return phases;
}

/** "Dec 8" (with the year when asked: "Dec 8, 2026"). */
export function formatDay(date: string, withYear = false): string {
  const [y, m, d] = date.split('-');
  return `${MONTHS[Number(m) - 1] ?? m} ${Number(d)}${withYear ? `, ${y}` : ''}`;
}

/** A window as dates: "Dec 15", "Dec 8 – 14", "Nov 28 – Dec 3", "By Dec 14", "From Dec 16". */
export function formatWindow(start: string | undefined, end: string | undefined): string {
  if (start === undefined && end === undefined) return 'Any time';
  if (start === undefined) return `By ${formatDay(end!)}`;
  if (end === undefined) return `From ${formatDay(start)}`;
  if (start === end) return formatDay(start);
  if (start.slice(0, 4) !== end.slice(0, 4)) return `${formatDay(start, true)} – ${formatDay(end, true)}`;
  if (start.slice(0, 7) === end.slice(0, 7)) return `${formatDay(start)} – ${Number(end.slice(8, 10))}`;
  return `${formatDay(start)} – ${formatDay(end)}`;
}

function daysFrom(zero: string, date: string): number {
  return Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${zero}T00:00:00Z`)) / 86_400_000);
}

function relativeDay(offset: number): string {
  if (offset === 0) return 'the day of surgery';
  const n = Math.abs(offset);
  return `${n === 1 ? '1 day' : `${n} days`} ${offset < 0 ? 'before' : 'after'} surgery`;
}

/**
 * A window as days from the operation, for an order without a date: "7 to 1 days before
 * surgery", "By 1 day before surgery", "On the day of surgery".
 */
export function formatRelativeWindow(start: string | undefined, end: string | undefined, dayZero: string): string {
  const zero = day(dayZero)!;
  if (start === undefined && end === undefined) return 'Any time';
  if (start === undefined) return `By ${relativeDay(daysFrom(zero, end!))}`;
  if (end === undefined) return `From ${relativeDay(daysFrom(zero, start))}`;
  const [a, b] = [daysFrom(zero, start), daysFrom(zero, end)];
  if (a === b) return `On ${relativeDay(a)}`;
  if (a < 0 && b < 0) return `${-a} to ${-b} days before surgery`;
  return `From ${relativeDay(a)} to ${relativeDay(b)}`;
}
