import type { Binary, Parameters, PlanDefinition, Questionnaire, QuestionnaireResponse, ServiceRequest, Task } from 'fhir/r4';
import { answeredQuestions, concernOf } from './answers';
import { addDays, today } from './dates';
import { announce, formatDay, h, replaceChildren } from './dom';
import { ConflictError, ForbiddenError } from './fhir';
import { isFollowUp, isOpen, newAssignment, patientName, procedureCodes, procedureDayOf, rowsOf, STATUSES, type AssignmentStatus, type WorklistRow } from './model';
import { startSession, type Session } from './sign-in';
import { cursorText, loadPage, parseCursor, worklistTiers, type WorklistPage } from './worklist-tiers';

let session: Session;
let planCodes: Promise<{ codes: string[]; plans: PlanDefinition[] }> | undefined;

function app(): HTMLElement {
  return document.getElementById('app')!;
}

/** Shows a view: its heading gets the focus, so keyboard and screen-reader users start at the top of it. */
function show(title: string, ...content: (Node | undefined)[]): void {
  const heading = document.getElementById('page-title')!;
  heading.textContent = title;
  document.title = `${title} – Care coordination`;
  replaceChildren(app(), ...content);
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

/** Runs a change and says how it went; a conflict or a missing permission gets its own words. */
async function act(button: HTMLButtonElement, work: () => Promise<string>, after: () => void | Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    announce(await work());
    await after();
  } catch (error) {
    const message = error instanceof ConflictError || error instanceof ForbiddenError || error instanceof Error ? error.message : String(error);
    announce(message, 'error');
    if (error instanceof ConflictError) {
      const reload = h('button', { type: 'button', class: 'button button--secondary', id: 'reload' }, 'Reload');
      reload.addEventListener('click', () => void route());
      document.getElementById('status')?.append(reload);
    }
  } finally {
    button.disabled = false;
  }
}

/** The library's plans and their procedure codes (one request, once per page load). */
function libraryPlans(): Promise<{ codes: string[]; plans: PlanDefinition[] }> {
  planCodes ??= session.api.search<PlanDefinition>('PlanDefinition?status=active&_elements=useContext,title,name&_count=100').then((bundle) => {
    const plans = (bundle.entry ?? []).map((e) => e.resource).filter((p): p is PlanDefinition => p?.resourceType === 'PlanDefinition');
    return { plans, codes: procedureCodes(plans) };
  });
  planCodes.catch(() => (planCodes = undefined));
  return planCodes;
}

function hashQuery(): URLSearchParams {
  return new URLSearchParams(location.hash.split('?')[1] ?? '');
}

function statusTag(status: AssignmentStatus): HTMLElement {
  return h('span', { class: `tag tag--${status.replace(/ /g, '-')}` }, status);
}

// ---------------------------------------------------------------- worklist

/** The cursors of the worklist pages seen since the filters last changed, to go back a page. */
const pageCursors = new Map<string, string[]>();

async function worklist(): Promise<void> {
  const query = hashQuery();
  const from = query.get('from') || today();
  const to = query.get('to') ?? '';
  const wanted = (STATUSES as string[]).includes(query.get('status') ?? '') ? (query.get('status') as AssignmentStatus) : '';
  const cursor = parseCursor(query.get('at'));
  const pageNumber = Math.max(1, Number(query.get('n')) || 1);
  const { codes } = await libraryPlans();
  const day = today();
  const tiers = worklistTiers({ codes, from, to, status: wanted, today: day, searchesTasks: session.searchesTasks });
  let page: WorklistPage = { rows: [], next: undefined, total: 0 };
  if (codes.length > 0 && cursor.tier < tiers.length) {
    page = await loadPage(tiers, cursor, (searches) => session.api.searches(searches), wanted, (link) => session.api.url(link).replace(/^.*?\/fhir\//, ''), day);
  }
  const filterKey = `${wanted}|${from}|${to}`;
  const seen = pageCursors.get(filterKey) ?? [];
  seen[pageNumber - 1] = cursorText(cursor);
  pageCursors.clear();
  pageCursors.set(filterKey, seen);

  const filters = h(
    'form',
    { class: 'filters', id: 'filters', 'aria-label': 'Filter the worklist' },
    h('div', { class: 'field' }, h('label', { for: 'filter-status' }, 'Questionnaire status'), statusSelect(wanted)),
    h('div', { class: 'field' }, h('label', { for: 'filter-from' }, 'Procedure from'), h('input', { type: 'date', id: 'filter-from', name: 'from', value: from })),
    h('div', { class: 'field' }, h('label', { for: 'filter-to' }, 'Procedure until'), h('input', { type: 'date', id: 'filter-to', name: 'to', value: to })),
    h('button', { type: 'submit', class: 'button' }, 'Show'),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(filters);
    const next = new URLSearchParams();
    for (const name of ['status', 'from', 'to']) {
      const value = String(data.get(name) ?? '');
      if (value !== '') next.set(name, value);
    }
    location.hash = `#/?${next.toString()}`;
  });

  const table = h(
    'table',
    { class: 'worklist', id: 'worklist' },
    h('caption', {}, `Patients with a procedure from ${formatDay(from)}${to ? ` until ${formatDay(to)}` : ''}, what needs action first${pageNumber > 1 ? `, page ${pageNumber}` : ''}`),
    h('thead', {}, h('tr', {}, ...['Patient', 'Procedure', 'Questionnaire', 'Due', 'Open concerns'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...page.rows.map(worklistRow)),
  );
  const pager = h('nav', { class: 'pager', 'aria-label': 'Worklist pages' });
  const pageLink = (at: string | undefined, n: number, label: string, rel: string) => {
    const target = new URLSearchParams(query);
    target.delete('at');
    target.delete('n');
    if (at !== undefined && n > 1) {
      target.set('at', at);
      target.set('n', String(n));
    }
    return h('a', { href: `#/?${target.toString()}`, class: 'button button--secondary', rel }, label);
  };
  if (pageNumber > 1) {
    const previous = seen[pageNumber - 2];
    pager.append(previous !== undefined ? pageLink(previous, pageNumber - 1, 'Previous page', 'prev') : pageLink(undefined, 1, 'First page', 'first'));
  }
  if (page.next !== undefined) pager.append(pageLink(cursorText(page.next), pageNumber + 1, 'Next page', 'next'));
  const count = h('p', { id: 'worklist-count' }, `${page.rows.length} patients on page ${pageNumber}${page.total !== undefined ? `, ${page.total} in all` : ''}.`);
  show('Pre-op worklist', filters, count, page.rows.length > 0 ? table : h('p', {}, 'No patients match.'), pager);
}

function statusSelect(wanted: string): HTMLSelectElement {
  const select = h('select', { id: 'filter-status', name: 'status' }, h('option', { value: '' }, 'Any'));
  for (const status of STATUSES) select.append(h('option', { value: status, selected: status === wanted }, status));
  return select;
}

function worklistRow(row: WorklistRow): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-order': row.order.id ?? '', 'data-status': row.status },
    h('th', { scope: 'row' }, h('a', { href: `#/order/${encodeURIComponent(row.order.id ?? '')}` }, patientName(row.patient))),
    h('td', {}, h('span', { class: 'procedure-day' }, formatDay(row.procedureDay)), h('br'), h('span', { class: 'hint' }, row.order.code?.text ?? row.order.code?.coding?.[0]?.display ?? '')),
    h('td', {}, statusTag(row.status)),
    h('td', {}, row.due ? formatDay(row.due) : '–'),
    h('td', { class: row.concerns.length > 0 ? 'concerns concerns--open' : 'concerns' }, row.concerns.length > 0 ? `${row.concerns.length} open` : 'None'),
  );
}

// ---------------------------------------------------------------- one patient's order

interface OrderCase {
  order: ServiceRequest;
  row: WorklistRow;
  tasks: Task[];
}

async function loadOrder(orderId: string): Promise<OrderCase> {
  const bundle = await session.api.search(`ServiceRequest?_id=${encodeURIComponent(orderId)}&_include=ServiceRequest:subject&_revinclude=Task:based-on`);
  const row = rowsOf(bundle)[0];
  if (row === undefined) throw new Error('This order no longer exists.');
  const tasks = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is Task => r?.resourceType === 'Task');
  return { order: row.order, row, tasks };
}

async function orderView(orderId: string): Promise<void> {
  const c = await loadOrder(orderId);
  const { row } = c;
  const back = h('p', {}, h('a', { href: '#/' }, 'Back to the worklist'));
  const summary = h(
    'dl',
    { class: 'summary' },
    h('dt', {}, 'Procedure'),
    h('dd', {}, `${row.order.code?.text ?? row.order.code?.coding?.[0]?.display ?? 'Procedure'} on ${formatDay(row.procedureDay)}`),
    h('dt', {}, 'Questionnaire'),
    h('dd', { id: 'assignment-status' }, statusTag(row.status), row.due ? ` due ${formatDay(row.due)}` : ''),
  );
  const sections: (Node | undefined)[] = [back, summary, assignmentSection(c)];
  const followUps = c.tasks.filter(isFollowUp);
  const responseRef = row.assignment?.output?.find((o) => o.valueReference?.reference?.startsWith('QuestionnaireResponse/'))?.valueReference?.reference;
  if (responseRef !== undefined) sections.push(await answersSection(responseRef, followUps, row));
  else if (followUps.length > 0) sections.push(h('section', { 'aria-labelledby': 'answers-title' }, h('h2', { id: 'answers-title' }, 'Follow-up concerns'), h('ul', { class: 'follow-ups' }, ...followUps.map((t) => followUpItem(t)))));
  sections.push(h('section', { 'aria-labelledby': 'plan-title' }, h('h2', { id: 'plan-title' }, 'Plan'), h('p', {}, h('a', { href: `#/order/${encodeURIComponent(orderId)}/plan` }, "The patient's dated plan"))));
  show(patientName(row.patient), ...sections);
}

function assignmentSection(c: OrderCase): HTMLElement {
  const { row } = c;
  const section = h('section', { 'aria-labelledby': 'assign-title' }, h('h2', { id: 'assign-title' }, 'Pre-op questionnaire'));
  const assignment = row.assignment;
  const defaultDue = row.procedureDay !== undefined ? addDays(row.procedureDay, -7) : addDays(today(), 7);
  if (assignment === undefined) {
    const due = h('input', { type: 'date', id: 'assign-due', value: defaultDue < today() ? today() : defaultDue, required: true });
    const button = h('button', { type: 'button', class: 'button', id: 'assign' }, 'Assign questionnaire');
    button.addEventListener('click', () =>
      void act(
        button,
        async () => {
          const code = row.order.code?.coding?.find((x) => x.system && x.code);
          const found = await session.api.search<Questionnaire>(`Questionnaire?status=active&procedure=${encodeURIComponent(code ? `${code.system}|${code.code}` : '')}&_elements=url,title`);
          const questionnaire = found.entry?.[0]?.resource;
          if (questionnaire?.url === undefined || questionnaire.id === undefined) throw new Error('The library has no questionnaire for this procedure.');
          await session.api.create(newAssignment({ order: row.order, questionnaireUrl: questionnaire.url, questionnaireId: questionnaire.id, due: due.value, requester: session.user, now: new Date().toISOString() }));
          return 'Questionnaire assigned. Create a patient link to send it.';
        },
        () => route(false),
      ),
    );
    section.append(h('p', {}, 'Not assigned yet. The questionnaire is due 7 days before the procedure unless you choose another day.'), h('div', { class: 'field' }, h('label', { for: 'assign-due' }, 'Due'), due), button);
    return section;
  }
  if (assignment.status === 'completed') {
    section.append(h('p', {}, 'The patient has sent their answers.'));
    return section;
  }
  const due = h('input', { type: 'date', id: 'edit-due', value: assignment.executionPeriod?.end?.slice(0, 10) ?? defaultDue });
  const saveDue = h('button', { type: 'button', class: 'button button--secondary', id: 'save-due' }, 'Change due date');
  saveDue.addEventListener('click', () =>
    void act(
      saveDue,
      async () => {
        await session.api.update<Task>({ ...assignment, executionPeriod: { ...assignment.executionPeriod, end: due.value }, lastModified: new Date().toISOString() });
        return `Due date changed to ${formatDay(due.value)}.`;
      },
      () => route(false),
    ),
  );
  const linkOut = h('div', { id: 'patient-link-area' });
  const makeLink = h('button', { type: 'button', class: 'button', id: 'make-link' }, 'Create patient link');
  makeLink.addEventListener('click', () =>
    void act(
      makeLink,
      async () => {
        const result = (await session.api.request<Parameters>(`Task/${assignment.id}/$patient-link`, { method: 'POST', body: { resourceType: 'Parameters' } })).body;
        const value = (name: string) => result.parameter?.find((p) => p.name === name);
        const url = value('url')?.valueUri ?? '';
        const field = h('input', { type: 'text', id: 'patient-link', readonly: true, value: url, class: 'link-field' });
        const copy = h('button', { type: 'button', class: 'button button--secondary', id: 'copy-link' }, 'Copy link');
        copy.addEventListener('click', () => {
          field.select();
          void navigator.clipboard?.writeText(url).then(
            () => announce('Link copied.'),
            () => announce('Select the link and copy it with your keyboard.'),
          );
        });
        replaceChildren(linkOut, h('label', { for: 'patient-link' }, `Patient link (works until ${formatDay(value('expires')?.valueInstant)})`), field, copy);
        makeLink.textContent = 'Create a new link';
        return 'Patient link created. Copy it into your message to the patient.';
      },
      () => undefined,
    ),
  );
  const cancel = h('button', { type: 'button', class: 'button button--warning', id: 'cancel-assignment' }, 'Cancel assignment');
  cancel.addEventListener('click', () =>
    void act(
      cancel,
      async () => {
        await session.api.update<Task>({ ...assignment, status: 'cancelled', lastModified: new Date().toISOString() });
        return 'Assignment cancelled.';
      },
      () => route(false),
    ),
  );
  section.append(h('div', { class: 'field' }, h('label', { for: 'edit-due' }, 'Due'), due), saveDue, h('div', { class: 'actions' }, makeLink, cancel), linkOut);
  return section;
}

async function answersSection(responseRef: string, followUps: Task[], row: WorklistRow): Promise<HTMLElement> {
  const response = (await session.api.request<QuestionnaireResponse>(responseRef)).body;
  const canonical = response.questionnaire?.split('|')[0] ?? '';
  const found = await session.api.search<Questionnaire>(`Questionnaire?url=${encodeURIComponent(canonical)}`);
  const questionnaire = found.entry?.[0]?.resource ?? { resourceType: 'Questionnaire', status: 'active' };
  const { lines, unplaced } = answeredQuestions(questionnaire as Questionnaire, response, followUps);
  const list = h('dl', { class: 'answers', id: 'answers' });
  for (const line of lines) {
    const concern = line.followUps.length > 0;
    const title = h(line.group ? 'dt' : 'dt', { class: `answer__question depth-${Math.min(line.depth, 3)}${line.group ? ' answer__group' : ''}` }, line.question);
    const value = h('dd', { class: concern ? 'answer answer--concern' : 'answer', 'data-link-id': line.linkId }, line.group ? '' : line.answers.join(', ') || 'Not answered');
    if (concern) {
      value.prepend(h('strong', { class: 'tag tag--concern' }, 'Concern'), ' ');
      value.append(h('ul', { class: 'follow-ups' }, ...line.followUps.map(followUpItem)));
    }
    list.append(title, value);
  }
  const status = response.status === 'completed' ? `Answers sent ${formatDay(response.authored)}.` : `In progress, last saved ${formatDay(response.authored)}.`;
  return h(
    'section',
    { 'aria-labelledby': 'answers-title' },
    h('h2', { id: 'answers-title' }, 'Answers'),
    h('p', {}, status, row.concerns.length > 0 ? ` ${row.concerns.length} open concern${row.concerns.length === 1 ? '' : 's'}.` : ''),
    list,
    unplaced.length > 0 ? h('ul', { class: 'follow-ups' }, ...unplaced.map(followUpItem)) : undefined,
  );
}

function followUpItem(task: Task): HTMLElement {
  const id = `note-${task.id}`;
  const item = h('li', { class: isOpen(task) ? 'follow-up' : 'follow-up follow-up--done', 'data-task': task.id ?? '', 'data-concern': concernOf(task) ?? '' }, h('span', { class: 'follow-up__text' }, task.description ?? 'Follow-up'), ' ');
  if (!isOpen(task)) {
    item.append(h('span', { class: 'tag tag--completed' }, 'done'), ...(task.note ?? []).map((n) => h('span', { class: 'hint' }, ` ${n.text}`)));
    return item;
  }
  const note = h('textarea', { id, rows: '2', class: 'note' });
  const done = h('button', { type: 'button', class: 'button button--secondary mark-done' }, 'Mark done');
  done.addEventListener('click', () =>
    void act(
      done,
      async () => {
        const text = note.value.trim();
        const done: Task = { ...task, status: 'completed', lastModified: new Date().toISOString() };
        if (text !== '') done.note = [...(task.note ?? []), { text, time: new Date().toISOString(), authorString: session.user.display }];
        await session.api.update(done);
        return 'Concern marked done.';
      },
      () => route(false),
    ),
  );
  item.append(h('div', { class: 'field' }, h('label', { for: id }, 'Note'), note), done);
  return item;
}

// ---------------------------------------------------------------- the dated plan

/** Text from a Binary's base64 data, read as UTF-8. */
function binaryText(binary: Binary): string {
  const bytes = Uint8Array.from(atob(binary.data ?? ''), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * The patient's dated plan as the patient's own page shows it: the server renders it with the
 * patient page's renderer (`ServiceRequest/{id}/$patient-plan`, HTML with every text escaped),
 * printable with the app's print style sheet.
 */
async function planView(orderId: string): Promise<void> {
  const c = await loadOrder(orderId);
  const binary = (await session.api.request<Binary>(`ServiceRequest/${encodeURIComponent(orderId)}/$patient-plan`)).body;
  const back = h('p', { class: 'no-print' }, h('a', { href: `#/order/${encodeURIComponent(orderId)}` }, `Back to ${patientName(c.row.patient)}`));
  const print = h('button', { type: 'button', class: 'button button--secondary no-print', id: 'print-plan' }, 'Print');
  print.addEventListener('click', () => window.print());
  const plan = h('div', { class: 'patient-plan', id: 'patient-plan' });
  plan.innerHTML = binaryText(binary);
  show(`Plan for ${patientName(c.row.patient)}`, back, h('p', {}, `Procedure on ${formatDay(procedureDayOf(c.order))}. This is the plan as the patient sees it on their plan page.`), print, plan);
}

// ---------------------------------------------------------------- routing

async function route(clearStatus = true): Promise<void> {
  if (clearStatus) announce('');
  const path = location.hash.replace(/^#/, '').split('?')[0];
  document.body.setAttribute('aria-busy', 'true');
  try {
    const plan = /^\/order\/([^/]+)\/plan$/.exec(path);
    const order = /^\/order\/([^/]+)$/.exec(path);
    if (plan) await planView(decodeURIComponent(plan[1]));
    else if (order) await orderView(decodeURIComponent(order[1]));
    else await worklist();
  } catch (error) {
    announce(error instanceof Error ? error.message : String(error), 'error');
  } finally {
    document.body.removeAttribute('aria-busy');
    document.body.dataset.ready = 'true';
  }
}

async function start(): Promise<void> {
  const started = await startSession();
  if (started === undefined) {
    document.body.dataset.ready = 'true';
    return;
  }
  session = started;
  window.addEventListener('hashchange', () => void route());
  await route();
}

void start();
