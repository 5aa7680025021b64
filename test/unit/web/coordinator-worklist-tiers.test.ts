import type { Bundle, BundleEntry, Resource, ServiceRequest, Task } from 'fhir/r4';
import { grantsTaskSearch } from '../../../src/web/coordinator/app/granted-scopes';
import { WORKFLOW_TASK } from '../../../src/web/coordinator/app/model';
import { assemblePage, cursorText, FIRST, loadPage, PAGE_SIZE, pageSearches, parseCursor, worklistTiers, type WorklistFilter } from '../../../src/web/coordinator/app/worklist-tiers';

const TODAY = '2026-12-07';
const FILTER: WorklistFilter = { codes: ['http://www.ama-assn.org/go/cpt|63047'], from: TODAY, to: '', status: '', today: TODAY, searchesTasks: true };

function order(id: string, day: string): ServiceRequest {
  return { resourceType: 'ServiceRequest', id, status: 'active', intent: 'order', subject: { reference: `Patient/p-${id}` }, occurrenceDateTime: day };
}

function task(order: string, code: string, status: Task['status'], due?: string): Task {
  return { resourceType: 'Task', id: `${code}-${order}`, status, intent: 'order', code: { coding: [{ system: WORKFLOW_TASK, code }] }, basedOn: [{ reference: `ServiceRequest/${order}` }], executionPeriod: due ? { end: due } : undefined, authoredOn: '2026-12-01' };
}

/** A search page: orders as matches, their Tasks as includes, a next link when told. */
function page(orders: ServiceRequest[], tasks: Task[], next?: string, total?: number): Bundle {
  const entry: BundleEntry<Resource>[] = [...orders.map((resource) => ({ resource, search: { mode: 'match' as const } })), ...tasks.map((resource) => ({ resource, search: { mode: 'include' as const } }))];
  return { resourceType: 'Bundle', type: 'searchset', total, entry, link: next ? [{ relation: 'next', url: `http://localhost/fhir/${next}` }] : [] };
}

const toPage = (link: string) => link.replace(/^.*?\/fhir\//, '');

describe('the worklist tiers', () => {
  test('three searches by procedure date: overdue, open concerns, everything; the status filter picks tiers and adds the Task status', () => {
    const tiers = worklistTiers(FILTER);
    expect(tiers.map((t) => t.rank)).toEqual([0, 1, 2]);
    const [overdue, concerns, rest] = tiers.map((t) => new URLSearchParams(t.query.split('?')[1]));
    expect(overdue.getAll('_has:Task:based-on:period')).toEqual([`eb${TODAY}`]);
    expect(overdue.getAll('_has:Task:based-on:status')).toEqual(['requested,in-progress']);
    expect(overdue.getAll('_has:Task:based-on:code')).toEqual([]);
    expect(concerns.getAll('_has:Task:based-on:code')).toEqual(['review-preop-concern']);
    expect(rest.get('_total')).toBe('accurate');
    for (const p of [overdue, concerns, rest]) {
      expect(p.get('_sort')).toBe('occurrence');
      expect(p.getAll('_revinclude')).toEqual(['Task:based-on']);
      expect(p.getAll('occurrence')).toEqual([`ge${TODAY}`]);
    }
    expect(worklistTiers({ ...FILTER, status: 'overdue' }).map((t) => t.rank)).toEqual([0]);
    const inProgress = worklistTiers({ ...FILTER, status: 'in progress', to: '2027-01-31' });
    expect(inProgress.map((t) => t.rank)).toEqual([1, 2]);
    const params = new URLSearchParams(inProgress[1].query.split('?')[1]);
    expect(params.getAll('_has:Task:based-on:status')).toEqual(['in-progress']);
    expect(params.getAll('occurrence')).toEqual([`ge${TODAY}`, 'le2027-01-31']);
    expect(params.get('_total')).toBeNull();
    // Without Task search: one search by date, no _has.
    const plain = worklistTiers({ ...FILTER, searchesTasks: false, status: 'sent' });
    expect(plain).toHaveLength(1);
    expect(plain[0].query).not.toContain('_has');
  });

  test('a page takes each tier\'s own rows in order, each order once, and goes on where a tier has more', () => {
    const tiers = worklistTiers(FILTER);
    const late = order('late', '2027-02-01');
    const concern = order('concern', '2027-01-15');
    const plain = Array.from({ length: 60 }, (_, i) => order(`o${i}`, `2027-01-${String((i % 28) + 1).padStart(2, '0')}`));
    const lateTasks = [task('late', 'complete-questionnaire', 'requested', '2026-12-01'), task('late', 'review-preop-concern', 'requested')];
    const concernTasks = [task('concern', 'complete-questionnaire', 'completed', '2026-12-20'), task('concern', 'review-preop-concern', 'requested')];
    const bundles = [
      page([late], lateTasks),
      // The overdue order also has an open concern: it shows in the first tier only.
      page([concern, late], [...concernTasks, ...lateTasks]),
      page([...plain.slice(0, 50), concern, late], [...concernTasks, ...lateTasks], 'ServiceRequest?_page=2', 62),
    ];
    expect(pageSearches(tiers, FIRST)).toEqual(tiers.map((t) => t.query));
    const first = assemblePage(tiers, FIRST, bundles, '', toPage, TODAY);
    expect(first.rows.map((r) => r.order.id)).toEqual(['late', 'concern', ...plain.slice(0, 48).map((o) => o.id)]);
    expect(first.total).toBe(62);
    expect(first.next).toEqual({ tier: 2, page: undefined, skip: 48 });
    expect(parseCursor(cursorText(first.next!))).toEqual(first.next);
    const second = assemblePage(tiers, first.next!, [bundles[2]], '', toPage, TODAY);
    expect(second.rows.map((r) => r.order.id)).toEqual(['o48', 'o49']);
    expect(second.next).toEqual({ tier: 2, page: 'ServiceRequest?_page=2', skip: 0 });
    // The status filter keeps the rows of that status only.
    expect(assemblePage(tiers, FIRST, bundles, 'not assigned', toPage, TODAY).rows.map((r) => r.order.id)).toEqual(plain.slice(0, 50).map((o) => o.id));
  });

  test('a page that is not full goes on with the next search page, up to three requests', async () => {
    const tiers = worklistTiers({ ...FILTER, status: 'overdue' });
    const overdueTask = (id: string) => task(id, 'complete-questionnaire', 'requested', '2026-12-01');
    const searched: string[][] = [];
    // Each search page holds 20 orders, of which 10 are overdue.
    const fetch = async (searches: string[]): Promise<Bundle[]> => {
      searched.push(searches);
      const n = searched.length;
      const orders = Array.from({ length: 20 }, (_, i) => order(`p${n}-${i}`, '2027-01-01'));
      return [page(orders, orders.filter((_, i) => i % 2 === 0).map((o) => overdueTask(o.id!)), `ServiceRequest?_page=${n + 1}`)];
    };
    const loaded = await loadPage(tiers, FIRST, fetch, 'overdue', toPage, TODAY);
    expect(searched).toHaveLength(3);
    expect(loaded.rows).toHaveLength(30);
    expect(loaded.rows.length).toBeLessThan(PAGE_SIZE);
    expect(loaded.next).toEqual({ tier: 0, page: 'ServiceRequest?_page=4', skip: 0 });
  });

  test('reads from the granted scopes whether the worklist may search Tasks', () => {
    expect(grantsTaskSearch('openid user/Task.cruds')).toBe(true);
    expect(grantsTaskSearch('user/*.rs')).toBe(true);
    expect(grantsTaskSearch('user/Task.read')).toBe(true);
    expect(grantsTaskSearch('user/Task.r user/Patient.rs')).toBe(false);
    expect(grantsTaskSearch('user/Patient.rs')).toBe(false);
    expect(grantsTaskSearch(undefined)).toBe(true);
  });
});
