/**
 * The access matrix of issue 8 over HTTP: each kind of grant against each interaction,
 * allowed or refused exactly as specified, with two patients seeded.
 */
import { json, refs, startSecureServer, type SecureServer } from './security-helpers';
import { seed } from './seed';

type Kind = 'none' | 'system' | 'userTask' | 'patientA' | 'granular';
const KINDS: Kind[] = ['none', 'system', 'userTask', 'patientA', 'granular'];

/** The grants: no token, system/*, user/Task.rs, patient/*.rs for A, patient/Task.rs?status=requested for A. */
const GRANTS: Record<Exclude<Kind, 'none'>, { scope: string; patient?: string }> = {
  system: { scope: 'system/*.cruds' },
  userTask: { scope: 'user/Task.rs' },
  patientA: { scope: 'patient/*.rs', patient: 'pat-a' },
  granular: { scope: 'patient/Task.rs?status=requested', patient: 'pat-a' },
};

let secure: SecureServer;
const client = {} as Record<Kind, ReturnType<SecureServer['as']>>;
let admin: ReturnType<SecureServer['as']>;

beforeAll(async () => {
  secure = await startSecureServer();
  await seed(secure);
  client.none = secure.as(undefined);
  for (const kind of KINDS.filter((k): k is Exclude<Kind, 'none'> => k !== 'none')) client[kind] = secure.as(await secure.token(GRANTS[kind]));
  admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
});
afterAll(async () => {
  await secure.close();
});

/** Expected status per grant; for searches, also the exact resources answered. */
type Expect = number | { status: 200; match: string[]; include?: string[] };

function cases(table: Record<string, Record<Kind, Expect>>) {
  return Object.entries(table).flatMap(([path, expected]) => KINDS.map((kind) => [path, kind, expected[kind]] as const));
}

async function check(kind: Kind, path: string, expected: Expect, init?: RequestInit) {
  const res = await client[kind](path, init);
  if (typeof expected === 'number') {
    expect({ path, kind, status: res.status }).toEqual({ path, kind, status: expected });
    if (expected === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    if (expected >= 400) expect(res.body.resourceType).toBe('OperationOutcome');
    return res;
  }
  expect({ path, kind, status: res.status }).toEqual({ path, kind, status: 200 });
  const entries = res.body.entry ?? [];
  const byMode = (mode: string) => refs({ entry: entries.filter((e: { search?: { mode?: string } }) => e.search?.mode === mode) }).sort();
  expect(byMode('match')).toEqual([...expected.match].sort());
  expect(byMode('include')).toEqual([...(expected.include ?? [])].sort());
  return res;
}

const ALL_TASKS = ['Task/task-a1', 'Task/task-a2', 'Task/task-a3', 'Task/task-b1'];
const A_TASKS = ['Task/task-a1', 'Task/task-a2', 'Task/task-a3'];
const A_REQUESTED = ['Task/task-a1', 'Task/task-a3'];

describe('read', () => {
  test.each(
    cases({
      '/Task/task-a1': { none: 401, system: 200, userTask: 200, patientA: 200, granular: 200 },
      '/Task/task-a2': { none: 401, system: 200, userTask: 200, patientA: 200, granular: 404 },
      '/Task/task-b1': { none: 401, system: 200, userTask: 200, patientA: 404, granular: 404 },
      '/Patient/pat-a': { none: 401, system: 200, userTask: 403, patientA: 200, granular: 403 },
      '/Patient/pat-b': { none: 401, system: 200, userTask: 403, patientA: 404, granular: 403 },
      '/QuestionnaireResponse/qr-b': { none: 401, system: 200, userTask: 403, patientA: 404, granular: 403 },
      '/PlanDefinition/foraminotomy': { none: 200, system: 200, userTask: 200, patientA: 200, granular: 200 },
      '/metadata': { none: 200, system: 200, userTask: 200, patientA: 200, granular: 200 },
    }),
  )('%s with %s -> %p', async (path, kind, expected) => {
    await check(kind, path, expected);
  });

  test('a read outside the compartment says exactly what a read of a missing id says', async () => {
    const outside = await client.patientA('/Task/task-b1');
    const missing = await client.patientA('/Task/no-such-task');
    expect(outside.status).toBe(missing.status);
    expect(outside.body.issue[0].code).toBe(missing.body.issue[0].code);
    expect(outside.body.issue[0].diagnostics).toBe('Task/task-b1 is not known');
  });
});

describe('search', () => {
  test.each(
    cases({
      '/Task': {
        none: 401,
        system: { status: 200, match: ALL_TASKS },
        userTask: { status: 200, match: ALL_TASKS },
        patientA: { status: 200, match: A_TASKS },
        granular: { status: 200, match: A_REQUESTED },
      },
      // _include: B (owner of A's task-a3) never comes along under A's grant.
      '/Task?_include=Task:owner': {
        none: 401,
        system: { status: 200, match: ALL_TASKS, include: ['Practitioner/prac-1', 'Patient/pat-b'] },
        userTask: { status: 200, match: ALL_TASKS },
        patientA: { status: 200, match: A_TASKS, include: ['Practitioner/prac-1'] },
        granular: { status: 200, match: A_REQUESTED },
      },
      '/Patient?_revinclude=Task:patient': {
        none: 401,
        system: { status: 200, match: ['Patient/pat-a', 'Patient/pat-b'], include: ALL_TASKS },
        userTask: 403,
        patientA: { status: 200, match: ['Patient/pat-a'], include: A_TASKS },
        granular: 403,
      },
      '/Patient?_revinclude=*': {
        none: 401,
        system: { status: 200, match: ['Patient/pat-a', 'Patient/pat-b'], include: [...ALL_TASKS, 'QuestionnaireResponse/qr-a', 'QuestionnaireResponse/qr-b', 'CarePlan/cp-a', 'CarePlan/cp-b'] },
        userTask: 403,
        patientA: { status: 200, match: ['Patient/pat-a'], include: [...A_TASKS, 'QuestionnaireResponse/qr-a', 'CarePlan/cp-a'] },
        granular: 403,
      },
      // Chaining into another patient finds nothing under A's grant.
      '/Task?patient.name=Brown': {
        none: 401,
        system: { status: 200, match: ['Task/task-b1'] },
        userTask: 403,
        patientA: { status: 200, match: [] },
        granular: 403,
      },
      '/Task?owner:Patient.name=Brown': {
        none: 401,
        system: { status: 200, match: ['Task/task-a3'] },
        userTask: 403,
        patientA: { status: 200, match: [] },
        granular: 403,
      },
      '/Task?patient.name=Adams': {
        none: 401,
        system: { status: 200, match: A_TASKS },
        userTask: 403,
        patientA: { status: 200, match: A_TASKS },
        granular: 403,
      },
      '/Patient?_has:Task:patient:status=requested': {
        none: 401,
        system: { status: 200, match: ['Patient/pat-a', 'Patient/pat-b'] },
        userTask: 403,
        patientA: { status: 200, match: ['Patient/pat-a'] },
        granular: 403,
      },
      '/Task?_id=task-b1,task-a2': {
        none: 401,
        system: { status: 200, match: ['Task/task-b1', 'Task/task-a2'] },
        userTask: { status: 200, match: ['Task/task-b1', 'Task/task-a2'] },
        patientA: { status: 200, match: ['Task/task-a2'] },
        granular: { status: 200, match: [] },
      },
      '/PlanDefinition': {
        none: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        system: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        userTask: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        patientA: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        granular: { status: 200, match: ['PlanDefinition/foraminotomy'] },
      },
      // A public search cannot reach protected data through _revinclude or _has.
      '/PlanDefinition?_revinclude=Task:focus': {
        none: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        system: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        userTask: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        patientA: { status: 200, match: ['PlanDefinition/foraminotomy'] },
        granular: { status: 200, match: ['PlanDefinition/foraminotomy'] },
      },
      '/PlanDefinition?_has:Task:focus:status=requested': { none: 401, system: { status: 200, match: [] }, userTask: { status: 200, match: [] }, patientA: { status: 200, match: [] }, granular: { status: 200, match: [] } },
      '/?_type=Task,Patient': {
        none: 401,
        system: { status: 200, match: [...ALL_TASKS, 'Patient/pat-a', 'Patient/pat-b'] },
        userTask: 403,
        patientA: 403,
        granular: 403,
      },
    }),
  )('%s with %s -> %p', async (path, kind, expected) => {
    await check(kind, path, expected);
  });

  test(':iterate, which walks through included resources before they are filtered, needs a grant that reads everything', async () => {
    const path = '/Task?_include=Task:owner&_include:iterate=Patient:general-practitioner';
    expect((await client.patientA(path)).status).toBe(403);
    expect((await client.system(path)).status).toBe(403);
    expect((await client.none('/PlanDefinition?_revinclude=Task:focus&_include:iterate=Task:owner')).status).toBe(401);
    const everything = secure.as(await secure.token({ scope: 'system/*.rs system/AuditEvent.rs' }));
    expect((await everything(path)).status).toBe(200);
  });

  test('counts and totals are those of the narrowed search', async () => {
    expect((await client.patientA('/Task?_summary=count')).body.total).toBe(3);
    expect((await client.granular('/Task?_summary=count')).body.total).toBe(2);
    expect((await client.patientA('/Task?_total=accurate&_count=1')).body.total).toBe(3);
  });

  test('POST _search is narrowed the same way', async () => {
    const res = await client.patientA('/Task/_search', { method: 'POST', body: 'status=requested', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(refs(res.body).sort()).toEqual(A_REQUESTED);
  });

  test('paging through a narrowed search never reaches the other patient', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/Task?_count=1';
    while (url !== undefined) {
      const page = await client.patientA(url);
      expect(page.status).toBe(200);
      seen.push(...refs(page.body));
      const next = (page.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next')?.url;
      url = next?.replace('http://fhir.test/fhir', '');
    }
    expect(seen.sort()).toEqual(A_TASKS);
  });
});

describe('granular scopes the server cannot evaluate', () => {
  test.each(['patient/Task.rs?no-such-param=1', 'patient/Task.rs?_count=1', 'patient/Task.rs?_include=Task:owner'])('%s grants nothing', async (scope) => {
    const api = secure.as(await secure.token({ scope, patient: 'pat-a' }));
    expect((await api('/Task/task-a1')).status).toBe(404);
    const search = await api('/Task');
    expect(search.status).toBe(200);
    expect(refs(search.body)).toEqual([]);
  });

  test('several granular scopes for a type are alternatives', async () => {
    const api = secure.as(await secure.token({ scope: 'patient/Task.rs?status=completed patient/Task.rs?owner=Practitioner/prac-1', patient: 'pat-a' }));
    expect(refs((await api('/Task')).body).sort()).toEqual(['Task/task-a1', 'Task/task-a2']);
    expect((await api('/Task/task-a3')).status).toBe(404);
    expect((await api('/Task/task-a1')).status).toBe(200);
  });
});

describe('write', () => {
  const newTask = (patient: string) => ({ resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: `Patient/${patient}` } });

  test.each(KINDS.map((k) => [k, { none: 401, system: 201, userTask: 403, patientA: 403, granular: 403 }[k]] as const))('create with %s -> %p', async (kind, status) => {
    await check(kind, '/Task', status, json('POST', newTask('pat-a')));
  });

  test.each(KINDS.map((k) => [k, { none: 401, system: 200, userTask: 403, patientA: 403, granular: 403 }[k]] as const))('update with %s -> %p', async (kind, status) => {
    await admin('/Task/task-upd', json('PUT', { ...newTask('pat-a'), id: 'task-upd' }));
    await check(kind, '/Task/task-upd', status, json('PUT', { ...newTask('pat-a'), id: 'task-upd', priority: 'urgent' }));
  });

  test.each(KINDS.map((k) => [k, { none: 401, system: 204, userTask: 403, patientA: 403, granular: 403 }[k]] as const))('delete with %s -> %p', async (kind, status) => {
    await admin('/Task/task-del', json('PUT', { ...newTask('pat-a'), id: 'task-del' }));
    await check(kind, '/Task/task-del', status, { method: 'DELETE' });
    expect((await admin('/Task/task-del')).status).toBe(status === 204 ? 410 : 200);
  });

  test('writes to the public library need a scope too', async () => {
    const plan = (await client.none('/PlanDefinition/foraminotomy')).body;
    expect((await client.none('/PlanDefinition/foraminotomy', json('PUT', plan))).status).toBe(401);
    expect((await client.patientA('/PlanDefinition/foraminotomy', json('PUT', plan))).status).toBe(403);
    expect((await client.system('/PlanDefinition/foraminotomy', json('PUT', plan))).status).toBe(200);
  });
});

describe('$apply', () => {
  const apply = (patient: string) => `/PlanDefinition/foraminotomy/$apply?subject=Patient/${patient}&procedureDate=2026-12-01`;
  test.each(
    cases({
      [apply('pat-a')]: { none: 401, system: 200, userTask: 403, patientA: 200, granular: 403 },
      [apply('pat-b')]: { none: 401, system: 200, userTask: 403, patientA: 404, granular: 403 },
    }),
  )('%s with %s -> %p', async (path, kind, expected) => {
    await check(kind, path, expected);
  });

  test('$reindex changes everything and needs a scope that may change everything', async () => {
    const parameters = json('POST', { resourceType: 'Parameters' });
    expect((await client.none('/$reindex', parameters)).status).toBe(401);
    expect((await client.patientA('/$reindex', parameters)).status).toBe(403);
    expect((await client.userTask('/Task/$reindex', parameters)).status).toBe(403);
    expect((await client.system('/Task/$reindex', parameters)).status).toBe(200);
  });
});

describe('history', () => {
  test.each(
    cases({
      '/Task/task-a1/_history': { none: 401, system: 200, userTask: 200, patientA: 200, granular: 200 },
      '/Task/task-b1/_history': { none: 401, system: 200, userTask: 200, patientA: 404, granular: 404 },
      '/Task/task-a2/_history/1': { none: 401, system: 200, userTask: 200, patientA: 200, granular: 404 },
      '/Task/task-b1/_history/1': { none: 401, system: 200, userTask: 200, patientA: 404, granular: 404 },
      '/Task/_history': { none: 401, system: 200, userTask: 200, patientA: 403, granular: 403 },
      // History is not part of the public access, even for the public types.
      '/PlanDefinition/_history': { none: 401, system: 200, userTask: 200, patientA: 200, granular: 200 },
      '/PlanDefinition/foraminotomy/_history': { none: 401, system: 200, userTask: 200, patientA: 200, granular: 200 },
      '/_history': { none: 401, system: 403, userTask: 403, patientA: 403, granular: 403 },
    }),
  )('%s with %s -> %p', async (path, kind, expected) => {
    await check(kind, path, expected);
  });

  test('system history needs a grant that reaches every type, AuditEvent included', async () => {
    const everything = secure.as(await secure.token({ scope: 'system/*.rs system/AuditEvent.rs' }));
    expect((await everything('/_history')).status).toBe(200);
  });

  test('instance history leaves out the versions that belonged to another patient', async () => {
    await admin('/Task/task-moved', json('PUT', { resourceType: 'Task', id: 'task-moved', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-b' } }));
    await admin('/Task/task-moved', json('PUT', { resourceType: 'Task', id: 'task-moved', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' } }));
    const history = await client.patientA('/Task/task-moved/_history');
    expect(history.status).toBe(200);
    expect(history.body.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId)).toEqual(['2']);
    expect(history.body.total).toBe(1);
    expect((await client.patientA('/Task/task-moved/_history/1')).status).toBe(404);
    expect((await client.patientA('/Task/task-moved/_history/2')).status).toBe(200);
  });
});
