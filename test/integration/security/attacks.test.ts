/**
 * Attacks from outside, each performed over HTTP with AUTH on: prototype names as batch
 * methods, writes that reach into another patient's compartment, client FHIRPath that would
 * stall the server, pages and Bundles without bounds, prototype keys in bodies, input nested
 * deep enough to overflow a stack, rotated client ids at the token endpoint, patient data in
 * public types, and the audit and caching gaps around them. Each test passes only with the
 * server refusing or bounding what it tries.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { AuditEvent } from 'fhir/r4';
import { ClientRegistry } from '../../../src/auth/client-registry';
import { BASE_URL, eventually, json, newKey, refs, startSecureServer, type IssuerKey, type SecureServer } from './security-helpers';
import { seed } from './seed';

type Client = ReturnType<SecureServer['as']>;

let secure: SecureServer;
let admin: Client;
let patientA: Client;
let practitionerOnly: Client;
let auditor: Client;
let anonymous: Client;

const BUNDLE_MAX_ENTRIES = 5;
const PAGE_BYTES = 64 * 1024;

beforeAll(async () => {
  secure = await startSecureServer({ LOAD_CONTENT: 'false', BUNDLE_MAX_ENTRIES: String(BUNDLE_MAX_ENTRIES), SEARCH_PAGE_MAX_BYTES: String(PAGE_BYTES) });
  await seed(secure);
  admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
  patientA = secure.as(await secure.token({ scope: 'patient/*.cruds', patient: 'pat-a' }));
  practitionerOnly = secure.as(await secure.token({ scope: 'system/Practitioner.rs' }));
  auditor = secure.as(await secure.token({ scope: 'system/AuditEvent.rs' }));
  anonymous = secure.as(undefined);
});
afterAll(async () => {
  await secure.close();
});

const batch = (type: 'batch' | 'transaction', entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });
const statuses = (bundle: { entry?: { response: { status: string } }[] }) => (bundle.entry ?? []).map((e) => e.response.status);

async function auditEvents(query: string): Promise<AuditEvent[]> {
  const res = await auditor(`/AuditEvent?${query}&_count=200`);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource);
}

describe('1. batch entries: only R4 methods, each authorized like a direct request', () => {
  test.each(['toString', 'constructor', 'valueOf', '__proto__', 'hasOwnProperty'])('method %s is refused in a batch and a transaction', async (method) => {
    for (const type of ['batch', 'transaction'] as const) {
      const res = await practitionerOnly('/', json('POST', batch(type, [{ request: { method, url: 'Patient?_revinclude:iterate=*&_id=pat-a' } }])));
      expect({ type, status: res.status }).toEqual({ type, status: 400 });
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].expression).toEqual(['Bundle.entry[0].request.method']);
      expect(JSON.stringify(res.body)).not.toContain('pat-a"');
    }
  });

  test('a GET entry gets the direct request\'s refusal: no Patient scope, no Patient', async () => {
    const direct = await practitionerOnly('/Patient?_id=pat-a');
    expect(direct.status).toBe(403);
    const res = await practitionerOnly('/', json('POST', batch('batch', [
      { request: { method: 'GET', url: 'Patient?_id=pat-a' } },
      { request: { method: 'GET', url: 'Patient/pat-a' } },
      { request: { method: 'GET', url: 'Practitioner/prac-1' } },
    ])));
    expect(res.status).toBe(200);
    expect(statuses(res.body)).toEqual(['403', '403', '200']);
    expect(JSON.stringify(res.body)).not.toContain('Adams');
  });

  test('a patient\'s search inside a batch is narrowed to the patient, exactly like the direct search', async () => {
    const direct = await patientA('/Task?status=requested');
    const res = await patientA('/', json('POST', batch('batch', [{ request: { method: 'GET', url: 'Task?status=requested' } }])));
    expect(res.status).toBe(200);
    expect(statuses(res.body)).toEqual(['200']);
    expect(refs(res.body.entry[0].resource).sort()).toEqual(refs(direct.body).sort());
    expect(refs(direct.body)).not.toContain('Task/task-b1');
  });

  test('the reads of a batch entry are audited with their entities', async () => {
    const res = await admin('/', json('POST', batch('batch', [{ request: { method: 'GET', url: 'CarePlan?_id=cp-b' } }])));
    expect(refs(res.body.entry[0].resource)).toEqual(['CarePlan/cp-b']);
    // The batch's own event (action E), not the audit of the seed's write.
    const events = await eventually(() => auditEvents('entity=CarePlan/cp-b&action=E'), (list) => list.length > 0);
    expect(events.length).toBeGreaterThan(0);
  });
});

describe('2 and 5. a patient writes only within the own compartment, through every reference', () => {
  test('a completed QuestionnaireResponse about another patient is refused and no hook runs for that patient', async () => {
    const tasksOfB = (await admin('/Task?patient=pat-b&_summary=count')).body.total;
    const res = await patientA('/QuestionnaireResponse', json('POST', {
      resourceType: 'QuestionnaireResponse',
      status: 'completed',
      subject: { reference: 'Patient/pat-b' },
      author: { reference: 'Patient/pat-a' },
      item: [{ linkId: 'q1', answer: [{ valueBoolean: true }] }],
    }));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/subject/);
    expect((await admin('/QuestionnaireResponse?subject=Patient/pat-b&_summary=count')).body.total).toBe(1);
    expect((await admin('/Task?patient=pat-b&_summary=count')).body.total).toBe(tasksOfB);
  });

  test('a Task for the own patient that focuses on another patient is refused', async () => {
    const res = await patientA('/Task', json('POST', { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' }, focus: { reference: 'Patient/pat-b' } }));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/focus/);
  });

  test('a Task that points at another patient\'s resource is refused', async () => {
    const res = await patientA('/Task', json('POST', { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' }, basedOn: [{ reference: 'CarePlan/cp-b' }] }));
    expect(res.status).toBe(403);
  });

  test('the own Patient cannot be linked to another patient', async () => {
    const current = (await patientA('/Patient/pat-a')).body;
    const res = await patientA('/Patient/pat-a', json('PUT', { ...current, link: [{ other: { reference: 'Patient/pat-b' }, type: 'seealso' }] }));
    expect(res.status).toBe(403);
    expect((await admin('/Patient/pat-a')).body.link).toBeUndefined();
  });

  test('references to the own patient and to shared resources stay allowed', async () => {
    const res = await patientA('/Task', json('POST', { resourceType: 'Task', status: 'requested', intent: 'order', for: { reference: 'Patient/pat-a' }, focus: { reference: 'CarePlan/cp-a' }, owner: { reference: 'Practitioner/prac-1' } }));
    expect(res.status).toBe(201);
  });
});

/** 40 × 40 × 40 × 40 × 40 nested iterations: minutes of work without a budget. */
function nestedSelects(levels = 5, width = 40): string {
  const set = `(${Array.from({ length: width }, (_, i) => i + 1).join('|')})`;
  let expression = 'true';
  for (let i = 0; i < levels; i++) expression = `${set}.select(${expression})`;
  return `${expression}.exists()`;
}

const applyWith = (plan: unknown) => ({
  resourceType: 'Parameters',
  parameter: [
    { name: 'subject', valueString: 'Patient/pat-a' },
    { name: 'procedureDate', valueDate: '2026-12-01' },
    { name: 'planDefinition', resource: plan },
  ],
});

const planWithCondition = (expression: string) => ({
  resourceType: 'PlanDefinition',
  status: 'active',
  action: [{ title: 'Stop eating', condition: [{ kind: 'applicability', expression: { language: 'text/fhirpath', expression } }], timingTiming: { event: ['2026-12-01'] } }],
});

describe('3. client FHIRPath is evaluated with limits', () => {
  test('an inline plan needs a scope that can write PlanDefinition', async () => {
    const res = await patientA('/PlanDefinition/$apply', json('POST', applyWith(planWithCondition('true'))));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/PlanDefinition/);
  });

  test('a condition of nested selects answers 400 within the time budget, and /metadata is not held up', async () => {
    const [res, metadata] = await Promise.all([
      admin('/PlanDefinition/$apply', json('POST', applyWith(planWithCondition(nestedSelects())))),
      new Promise((r) => setTimeout(r, 50)).then(() => anonymous('/metadata')),
    ]);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(metadata.status).toBe(200);
  });

  test('expressions over the length or nesting limit are refused before evaluation', async () => {
    const long = await admin('/PlanDefinition/$apply', json('POST', applyWith(planWithCondition(`${'1 | '.repeat(2000)}1`))));
    expect(long.status).toBe(400);
    expect(long.body.issue[0].diagnostics).toMatch(/characters/);
    const deep = await admin('/PlanDefinition/$apply', json('POST', applyWith(planWithCondition(`${'('.repeat(100)}true${')'.repeat(100)}`))));
    expect(deep.status).toBe(400);
    expect(deep.body.issue[0].diagnostics).toMatch(/nest/);
  });

  test('a stored SearchParameter whose expression runs too long makes the write of its type a 400, not a stall', async () => {
    const conformance = secure.as(await secure.token({ scope: 'system/SearchParameter.cu system/Substance.cruds' }));
    const sp = {
      resourceType: 'SearchParameter', id: 'slow-substance', url: 'https://example.org/SearchParameter/slow-substance', name: 'slow', status: 'active',
      description: 'slow', code: 'slow', base: ['Substance'], type: 'token', expression: `Substance.where(${nestedSelects()})`,
    };
    expect((await conformance('/SearchParameter/slow-substance', json('PUT', sp))).status).toBe(201);
    const res = await conformance('/Substance', json('POST', { resourceType: 'Substance', code: { text: 'x' } }));
    expect(res.status).toBe(400);
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(res.body.issue[0].diagnostics).toMatch(/slow-substance/);
  });
});

describe('4. a search page is bounded by bytes', () => {
  test('large resources end the page early with a next link that reaches the rest', async () => {
    const note = 'x'.repeat(30_000);
    for (let i = 0; i < 6; i++) {
      expect((await admin('/Task', json('POST', { resourceType: 'Task', status: 'draft', intent: 'order', code: { coding: [{ system: 'urn:test', code: 'bulky' }] }, for: { reference: 'Patient/pat-b' }, note: [{ text: note }] }))).status).toBe(201);
    }
    const seen: string[] = [];
    let url: string | undefined = '/Task?code=urn:test|bulky&_count=500';
    let pages = 0;
    while (url !== undefined) {
      const res: { status: number; body: { entry?: { resource: { id: string } }[]; link: { relation: string; url: string }[] } } = await admin(url);
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body).length).toBeLessThan(PAGE_BYTES + 40_000);
      seen.push(...(res.body.entry ?? []).map((e) => e.resource.id));
      const next = res.body.link.find((l) => l.relation === 'next')?.url;
      url = next === undefined ? undefined : next.slice(BASE_URL.length);
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(6);
  });
});

describe('7. Bundles have an entry limit', () => {
  test(`a transaction over BUNDLE_MAX_ENTRIES (${BUNDLE_MAX_ENTRIES}) is 413 naming the limit, and nothing is written`, async () => {
    const before = (await admin('/Task?_summary=count')).body.total;
    const entries = Array.from({ length: BUNDLE_MAX_ENTRIES + 1 }, () => ({ resource: { resourceType: 'Task', status: 'draft', intent: 'order' }, request: { method: 'POST', url: 'Task' } }));
    for (const type of ['transaction', 'batch'] as const) {
      const res = await admin('/', json('POST', batch(type, entries)));
      expect(res.status).toBe(413);
      expect(res.body.issue[0].diagnostics).toMatch(new RegExp(`${BUNDLE_MAX_ENTRIES}`));
      expect(res.body.issue[0].diagnostics).toMatch(/BUNDLE_MAX_ENTRIES/);
    }
    expect((await admin('/Task?_summary=count')).body.total).toBe(before);
  });
});

describe('8. JavaScript built-in names are not elements', () => {
  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'])('%s is refused at the top level and nested', async (key) => {
    const top = `{"resourceType":"Basic","code":{"text":"x"},"${key}":{"polluted":true}}`;
    const nested = `{"resourceType":"Basic","code":{"text":"x","${key}":{"polluted":true}}}`;
    for (const body of [top, nested]) {
      const res = await admin('/Basic', { method: 'POST', body, headers: { 'content-type': 'application/fhir+json' } });
      expect({ key, body, status: res.status }).toEqual({ key, body, status: 422 });
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(res.body.issue)).toContain(key);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('9 (and deep JSON). bad input is a 4xx with an OperationOutcome, never a 500', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    admin('/Basic', { method: 'POST', body, headers: { 'content-type': 'application/fhir+json', ...headers } });

  test('JSON nested 3,000 levels is a 400 naming the depth limit', async () => {
    const res = await post(`{"resourceType":"Basic","extension":${'['.repeat(3000)}${']'.repeat(3000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/nest.*\d+/);
  });

  test('raw arrays nested 10,000 deep inside a resource are a 400', async () => {
    const res = await post(`{"resourceType":"Basic","code":{"text":"x"},"modifierExtension":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('extensions and Questionnaire items nested thousands deep are a 400', async () => {
    let extension: Record<string, unknown> = { url: 'https://example.org/x', valueString: 'leaf' };
    for (let i = 0; i < 2000; i++) extension = { url: 'https://example.org/x', extension: [extension] };
    expect((await post(JSON.stringify({ resourceType: 'Basic', code: { text: 'x' }, extension: [extension] }))).status).toBe(400);
    let item: Record<string, unknown> = { linkId: 'leaf', type: 'boolean' };
    for (let i = 0; i < 2000; i++) item = { linkId: `g${i}`, type: 'group', item: [item] };
    const res = await admin('/Questionnaire', json('POST', { resourceType: 'Questionnaire', status: 'draft', item: [item] }));
    expect(res.status).toBe(400);
  });

  test('150,000 identifiers are a 422 naming the index limit, not a database error', async () => {
    const identifier = Array.from({ length: 150_000 }, (_, i) => ({ value: `id-${i}-${randomUUID().slice(0, 8)}` }));
    const res = await admin('/Basic', json('POST', { resourceType: 'Basic', code: { text: 'x' }, identifier }));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(res.body.issue[0].diagnostics).toMatch(/search index values/);
  });

  test('a resource whose text is over what the full-text index holds is stored, its text indexed in part', async () => {
    const words = Array.from({ length: 120_000 }, (_, i) => `w${i.toString(36)}x${randomUUID().slice(0, 4)}`).join(' ');
    const res = await admin('/Basic', json('POST', { resourceType: 'Basic', code: { text: 'long text' }, text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${words}</div>` } }));
    expect(res.status).toBe(201);
  });

  test('a broken gzip body is a 400 with an OperationOutcome', async () => {
    const gz = gzipSync(Buffer.from('{"resourceType":"Basic","code":{"text":"x"}}'));
    const res = await admin('/Basic', { method: 'POST', body: gz.subarray(0, gz.length - 8), headers: { 'content-type': 'application/fhir+json', 'content-encoding': 'gzip' } });
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});

describe('6. stored SearchParameters do not decide authorization', () => {
  const redefinition = {
    resourceType: 'SearchParameter', id: 'task-patient-owner', url: 'https://example.org/SearchParameter/task-patient-owner', name: 'patient', status: 'active',
    description: 'owner as patient', code: 'patient', base: ['Task'], type: 'reference', target: ['Patient'], expression: 'Task.owner',
  };

  test('writing a SearchParameter needs system/SearchParameter.cu; system/* is not enough', async () => {
    const res = await admin('/SearchParameter/task-patient-owner', json('PUT', redefinition));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/SearchParameter\.c|SearchParameter\.u/);
  });

  test('a base parameter\'s code on its base cannot be redefined (422), so compartments stay as R4 defines them', async () => {
    const conformance = secure.as(await secure.token({ scope: 'system/SearchParameter.cu' }));
    const res = await conformance('/SearchParameter/task-patient-owner', json('PUT', redefinition));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(/patient/);
    // task-a3 names pat-b as owner only: B still does not see it.
    const patientB = secure.as(await secure.token({ scope: 'patient/*.rs', patient: 'pat-b' }));
    expect(refs((await patientB('/Task')).body)).not.toContain('Task/task-a3');
  });
});

describe('11. public types hold library material only', () => {
  test('a DocumentReference about a patient is not readable or searchable without a token, nor by another patient', async () => {
    // A library document (it passes the education profile), about a patient.
    const library = JSON.parse(readFileSync('content/DocumentReference-foraminotomy-overview.json', 'utf8')) as Record<string, unknown>;
    const written = await admin('/DocumentReference', json('POST', { ...library, id: undefined, identifier: undefined, subject: { reference: 'Patient/pat-b' } }));
    expect(written.status).toBe(201);
    const id = written.body.id as string;
    expect((await anonymous(`/DocumentReference/${id}`)).status).toBe(404);
    expect(refs((await anonymous('/DocumentReference?subject=Patient/pat-b')).body)).toEqual([]);
    expect(refs((await anonymous('/DocumentReference')).body)).not.toContain(`DocumentReference/${id}`);
    expect((await patientA(`/DocumentReference/${id}`)).status).toBe(404);
    expect((await admin(`/DocumentReference/${id}`)).status).toBe(200);
    // A search across the library's types without a token finds the library, never the patient's document.
    const material = await admin('/DocumentReference', json('POST', { ...library, id: undefined, identifier: undefined }));
    expect(material.status).toBe(201);
    const across = await anonymous(`/?_type=PlanDefinition,DocumentReference&procedure=63047&_count=100`);
    expect(across.status).toBe(200);
    expect(refs(across.body)).toContain(`DocumentReference/${material.body.id as string}`);
    expect(refs(across.body)).not.toContain(`DocumentReference/${id}`);
  });

  test('a DocumentReference without the library marking is not public even when it names no patient', async () => {
    // A clinic letter stored by a system client: no subject, no education profile or category.
    const letter = {
      resourceType: 'DocumentReference',
      status: 'current',
      description: 'Letter to the GP about pat-b',
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('private letter').toString('base64') } }],
    };
    const written = await admin('/DocumentReference', json('POST', letter));
    expect(written.status).toBe(201);
    const id = written.body.id as string;
    expect((await admin(`/DocumentReference/${id}`)).status).toBe(200);
    // Read and search without a token, twice each (the second may come from the library cache).
    for (let i = 0; i < 2; i++) {
      const read = await anonymous(`/DocumentReference/${id}`);
      expect(read.status).toBe(404);
      expect(read.body.resourceType).toBe('OperationOutcome');
      expect(refs((await anonymous(`/DocumentReference?_id=${id}`)).body)).toEqual([]);
      expect(refs((await anonymous('/DocumentReference?_count=100')).body)).not.toContain(`DocumentReference/${id}`);
      expect(refs((await anonymous(`/?_type=PlanDefinition,DocumentReference&_id=${id}`)).body)).toEqual([]);
    }
    // Library material (the education profile, no patient) is still public.
    const library = JSON.parse(readFileSync('content/DocumentReference-foraminotomy-overview.json', 'utf8')) as Record<string, unknown>;
    const material = await admin('/DocumentReference', json('POST', { ...library, id: undefined, identifier: undefined }));
    expect(material.status).toBe(201);
    const materialId = material.body.id as string;
    expect((await anonymous(`/DocumentReference/${materialId}`)).status).toBe(200);
    expect(refs((await anonymous(`/DocumentReference?_id=${materialId}`)).body)).toEqual([`DocumentReference/${materialId}`]);
  });
});

describe('12. audit and caching', () => {
  test('responses with patient data carry Cache-Control: no-store', async () => {
    const res = await admin('/Patient/pat-a');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/no-store/);
  });

  test('$apply is audited with the Patient it read', async () => {
    expect((await admin('/Patient/pat-apply', json('PUT', { resourceType: 'Patient', id: 'pat-apply' }))).status).toBe(201);
    const res = await admin('/PlanDefinition/$apply', json('POST', { ...applyWith(planWithCondition('true')), parameter: applyWith(planWithCondition('true')).parameter.map((p) => (p.name === 'subject' ? { name: 'subject', valueString: 'Patient/pat-apply' } : p)) }));
    expect(res.status).toBe(200);
    const events = await eventually(() => auditEvents('entity=Patient/pat-apply&action=E'), (list) => list.length > 0);
    expect(events.length).toBeGreaterThan(0);
  });

  test('an external token living longer than AUTH_MAX_TOKEN_LIFETIME_SECONDS (1 hour) is refused', async () => {
    const now = Math.floor(Date.now() / 1000);
    const longLived = await secure.token({ scope: 'system/*.rs', exp: now + 10 * 365 * 86400 });
    const res = await secure.as(longLived)('/Task/task-a1');
    expect(res.status).toBe(401);
    expect(res.body.issue[0].diagnostics).toMatch(/lifetime/);
  });
});

describe('10 and 12. the token endpoint', () => {
  let limited: SecureServer;
  let key: IssuerKey;
  const TOKEN_URL = 'http://fhir.test/auth/token';
  beforeAll(async () => {
    limited = await startSecureServer({ LOAD_CONTENT: 'false', RATE_LIMIT_PER_MINUTE: '3' });
    key = await newKey('ES384');
    await new ClientRegistry(limited.server.ctx.database).register({ clientId: 'backend', jwks: { keys: [key.publicJwk] }, jwksUrl: undefined, scope: 'system/*.rs', patient: undefined, fhirUser: undefined });
  });
  afterAll(async () => {
    await limited.close();
  });

  const assertion = (claims: { iat?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({}).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).setIssuer('backend').setSubject('backend').setAudience(TOKEN_URL).setExpirationTime(now + 240).setJti(randomUUID());
    if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
    return jwt.sign(key.privateKey);
  };
  const requestToken = async (form: Record<string, string>) => {
    const res = await fetch(`${limited.server.origin}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    return { status: res.status, body: (await res.json()) as Record<string, string> };
  };
  const form = async (claims: { iat?: number } = {}) => ({
    grant_type: 'client_credentials',
    scope: 'system/*.rs',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(claims),
  });

  test('a client assertion issued in the future is refused (iat checked)', async () => {
    const res = await requestToken(await form({ iat: Math.floor(Date.now() / 1000) + 3600 }));
    expect(res.status).toBe(401);
    expect(res.body.error_description).toMatch(/iat/);
  });

  test('rotating client_id does not escape the limit: it is keyed on the caller\'s address too', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push((await requestToken({ grant_type: 'client_credentials', client_id: `rotated-${i}`, scope: 'system/*.rs' })).status);
    expect(answers.slice(-2)).toEqual([429, 429]);
  });

  test('each Bundle entry counts against the rate limit', async () => {
    const client = limited.as(await limited.token({ scope: 'system/*.rs', client_id: 'bundle-counter' }));
    const entries = Array.from({ length: 3 }, () => ({ request: { method: 'GET', url: 'Practitioner?_count=1' } }));
    expect((await client('/', json('POST', batch('batch', entries)))).status).toBe(200);
    const after = await client('/Practitioner?_count=1');
    expect(after.status).toBe(429);
  });
});
