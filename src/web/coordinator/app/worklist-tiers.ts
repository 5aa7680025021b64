import type { Bundle } from 'fhir/r4';
import { needRank, rowsOf, type AssignmentStatus, type WorklistRow } from './model';

/** Rows per page of the worklist. */
export const PAGE_SIZE = 50;

/** Task statuses of a follow-up that is still open. */
const OPEN_TASK = 'draft,requested,received,accepted,ready,in-progress,on-hold';

/** The Task statuses of an assignment with a questionnaire status, for a `_has` filter (none: not searchable). */
const ASSIGNMENT_TASK_STATUS: Record<AssignmentStatus, string | undefined> = {
  overdue: 'requested,in-progress',
  sent: 'requested',
  'in progress': 'in-progress',
  completed: 'completed',
  'not assigned': undefined,
};

export interface WorklistFilter {
  /** Procedure codes as `system|code`. */
  codes: string[];
  from: string;
  to: string;
  /** A questionnaire status, or '' for all. */
  status: AssignmentStatus | '';
  today: string;
  /** False when the caller may not search Tasks: one tier by procedure date, no `_has`. */
  searchesTasks: boolean;
}

/** One tier of the worklist: the orders of one need rank (0 overdue, 1 open concerns, 2 the rest; undefined: all), a search of their own. */
export interface Tier {
  rank: number | undefined;
  query: string;
}

/**
 * The worklist as a sequence of searches, one a tier, each sorted and paged by the server by
 * procedure date: overdue assignments, then open follow-up concerns, then everything else.
 * `_has` narrows a tier to orders with such a Task; whether a row belongs to the tier (an order
 * can have an overdue Task that is not its current assignment) is decided on its Tasks, which
 * `_revinclude` brings along, so every order is shown once, in the first tier it belongs to.
 * The status filter picks the tiers and adds the Task status to the `_has` filter. A caller
 * that may not search Tasks gets one search by procedure date (Tasks it cannot read are left
 * out of the Bundle anyway).
 */
export function worklistTiers(filter: WorklistFilter): Tier[] {
  const base = (): URLSearchParams => {
    const params = new URLSearchParams({ code: filter.codes.map((c) => c.replace(/,/g, '\\,')).join(','), status: 'active' });
    params.append('occurrence', `ge${filter.from}`);
    if (filter.to !== '') params.append('occurrence', `le${filter.to}`);
    const assignmentStatus = filter.status === '' || !filter.searchesTasks ? undefined : ASSIGNMENT_TASK_STATUS[filter.status];
    if (assignmentStatus !== undefined) {
      params.append('_has:Task:based-on:code', 'complete-questionnaire');
      params.append('_has:Task:based-on:status', assignmentStatus);
    }
    return params;
  };
  const finish = (params: URLSearchParams, total: boolean): string => {
    params.set('_sort', 'occurrence');
    params.set('_count', String(PAGE_SIZE));
    if (total) params.set('_total', 'accurate');
    params.append('_include', 'ServiceRequest:subject');
    params.append('_revinclude', 'Task:based-on');
    return `ServiceRequest?${params.toString()}`;
  };
  if (!filter.searchesTasks) return [{ rank: undefined, query: finish(base(), filter.status === '') }];
  const overdue = base();
  overdue.append('_has:Task:based-on:period', `eb${filter.today}`);
  // Not the code as well: each _has is a subquery of its own, and an open Task past its end
  // that is not an assignment is rare (the row's own Tasks decide anyway).
  if (filter.status === '') overdue.append('_has:Task:based-on:status', ASSIGNMENT_TASK_STATUS.overdue!);
  const concerns = base();
  concerns.append('_has:Task:based-on:code', 'review-preop-concern');
  concerns.append('_has:Task:based-on:status', OPEN_TASK);
  const tiers = [
    { rank: 0, query: finish(overdue, false) },
    { rank: 1, query: finish(concerns, false) },
    { rank: 2, query: finish(base(), filter.status === '') },
  ];
  if (filter.status === 'overdue') return tiers.slice(0, 1);
  if (filter.status !== '') return tiers.slice(1);
  return tiers;
}

/**
 * The most search requests one page of the worklist makes to fill itself: a tier's search page
 * can hold fewer rows than a page (rows of earlier tiers, or of another status, are left out),
 * so a page that is not full goes on with the next search page, up to this many.
 */
export const MAX_REQUESTS_PER_PAGE = 3;

/** Where a page of the worklist starts: a tier, the search page of it (a `next` link; none: its first page), and how many of that page's rows came before. */
export interface Cursor {
  tier: number;
  page: string | undefined;
  skip: number;
}

export const FIRST: Cursor = { tier: 0, page: undefined, skip: 0 };

export function cursorText(cursor: Cursor): string {
  return `${cursor.tier}~${cursor.skip}~${cursor.page ?? ''}`;
}

export function parseCursor(text: string | null): Cursor {
  const m = /^(\d)~(\d{1,3})~(.*)$/.exec(text ?? '');
  if (!m) return FIRST;
  return { tier: Number(m[1]), skip: Number(m[2]), page: m[3] === '' ? undefined : m[3] };
}

/** The searches a page needs: the cursor's page, then the first page of each later tier (one batch). */
export function pageSearches(tiers: Tier[], cursor: Cursor): string[] {
  return tiers.slice(cursor.tier).map((tier, i) => (i === 0 ? (cursor.page ?? tier.query) : tier.query));
}

export interface WorklistPage {
  rows: WorklistRow[];
  next: Cursor | undefined;
  /** Orders in the date range, when the unfiltered last tier was read (its accurate total). */
  total: number | undefined;
}

/**
 * A page of the worklist from `cursor`: one request (a batch of the tiers' searches), and more,
 * up to MAX_REQUESTS_PER_PAGE, while the page is not full and there is more.
 */
export async function loadPage(tiers: Tier[], cursor: Cursor, fetch: (searches: string[]) => Promise<Bundle[]>, status: AssignmentStatus | '', toPage: (link: string) => string, today: string): Promise<WorklistPage> {
  const page: WorklistPage = { rows: [], next: cursor, total: undefined };
  for (let requests = 0; requests < MAX_REQUESTS_PER_PAGE && page.next !== undefined && page.rows.length < PAGE_SIZE; requests++) {
    const from: Cursor = page.next;
    const part = assemblePage(tiers, from, await fetch(pageSearches(tiers, from)), status, toPage, today, PAGE_SIZE - page.rows.length);
    page.rows.push(...part.rows);
    page.total ??= part.total;
    page.next = part.next;
  }
  return page;
}

function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((l) => l.relation === 'next')?.url;
}

/**
 * Rows from the searches of `pageSearches` (their Bundles in the same order): the rows of each
 * tier that belong to it and match the status filter, until `room` rows are taken or a tier
 * has more search pages; `next` says where to go on from.
 */
export function assemblePage(tiers: Tier[], cursor: Cursor, bundles: Bundle[], status: AssignmentStatus | '', toPage: (link: string) => string, today: string, room = PAGE_SIZE): WorklistPage {
  const rows: WorklistRow[] = [];
  let total: number | undefined;
  let next: Cursor | undefined;
  for (let i = 0; i < bundles.length; i++) {
    const tierIndex = cursor.tier + i;
    const tier = tiers[tierIndex];
    const bundle = bundles[i];
    if (tier.rank !== 0 && tier.rank !== 1 && status === '' && bundle.total !== undefined) total = bundle.total;
    if (next !== undefined) continue;
    const candidates = rowsOf(bundle, today).filter((r) => (tier.rank === undefined || needRank(r) === tier.rank) && (status === '' || r.status === status));
    const skip = i === 0 ? cursor.skip : 0;
    const take = candidates.slice(skip, skip + room - rows.length);
    rows.push(...take);
    const page = i === 0 ? cursor.page : undefined;
    if (skip + take.length < candidates.length) next = { tier: tierIndex, page, skip: skip + take.length };
    else {
      const link = nextLink(bundle);
      if (link !== undefined) next = { tier: tierIndex, page: toPage(link), skip: 0 };
    }
  }
  return { rows, next, total };
}
