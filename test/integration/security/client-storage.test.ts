/**
 * What one client can make the server store and send back: a client's writes stop at
 * CLIENT_STORAGE_MAX_MB (413, nothing of the refused write kept), and pages of `_revinclude`
 * and `_history` over resources of a megabyte each stay within SEARCH_PAGE_MAX_BYTES.
 */
import { BASE_URL, json, refs, startSecureServer, type SecureServer } from './security-helpers';

type Client = ReturnType<SecureServer['as']>;

const MIB = 1024 * 1024;
/** The longest FHIR string is 1 MB (1,048,576 characters): a note of a million. */
const MB = 1_000_000;
const CAP_MB = 10;
const PAGE_BYTES = 2 * MIB;
/** A JSON answer is the stored resources plus its own framing (fullUrl, search, links): a few KB here. */
const FRAMING = 64 * 1024;

let secure: SecureServer;
let writer: Client;
let other: Client;

const bigTask = (n: number, size = MB) => ({
  resourceType: 'Task',
  status: 'requested',
  intent: 'order',
  for: { reference: 'Patient/storage-p' },
  note: [{ text: `${n} ${'x'.repeat(size)}` }],
});

beforeAll(async () => {
  secure = await startSecureServer({ LOAD_CONTENT: 'false', CLIENT_STORAGE_MAX_MB: String(CAP_MB), SEARCH_PAGE_MAX_BYTES: String(PAGE_BYTES) });
  writer = secure.as(await secure.token({ scope: 'system/*.cruds', client_id: 'storage-writer' }));
  other = secure.as(await secure.token({ scope: 'system/*.cruds', client_id: 'storage-other' }));
  expect((await writer('/Patient/storage-p', json('PUT', { resourceType: 'Patient', id: 'storage-p' }))).status).toBe(201);
  // Ten Tasks of a megabyte each: about 10 MB of the writer's 10 MiB.
  for (let i = 0; i < 10; i++) expect((await writer('/Task', json('POST', bigTask(i)))).status).toBe(201);
}, 300_000);
afterAll(async () => {
  await secure?.close();
});

const tasksOfPatient = async () => (await writer('/Task?patient=Patient/storage-p&_summary=count')).body.total as number;

describe('per-client storage cap', () => {
  test('a write past the cap is 413 with an OperationOutcome naming the limit, and nothing of it is kept', async () => {
    const refused = await writer('/Task', json('POST', bigTask(10)));
    expect(refused.status).toBe(413);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    expect(refused.body.issue[0].diagnostics).toContain('CLIENT_STORAGE_MAX_MB');
    expect(await tasksOfPatient()).toBe(10);
    // The refused write was not charged: a small write still fits.
    expect((await writer('/Task', json('POST', bigTask(11, 1000)))).status).toBe(201);
    // A transaction that would cross the cap is refused whole.
    const transaction = await writer('/', json('POST', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [bigTask(12, 1000), bigTask(13, MB)].map((resource) => ({ resource, request: { method: 'POST', url: 'Task' } })),
    }));
    expect(transaction.status).toBe(413);
    expect(transaction.body.resourceType).toBe('OperationOutcome');
    expect(await tasksOfPatient()).toBe(11);
    // Updates count too (each version is stored).
    const small = await writer('/Task', json('POST', bigTask(14, 10)));
    expect(small.status).toBe(201);
    const update = await writer(`/Task/${small.body.id as string}`, json('PUT', { ...bigTask(14, MB), id: small.body.id }));
    expect(update.status).toBe(413);
    expect((await writer(`/Task/${small.body.id as string}`)).body.meta.versionId).toBe('1');
  });

  test('the cap is per client: another client writes on', async () => {
    expect((await other('/Task', json('POST', bigTask(20)))).status).toBe(201);
  });
});

describe('page byte budget with large resources', () => {
  test('_revinclude of many megabyte Tasks stays within the budget, with a warning in the Bundle', async () => {
    const res = await writer('/Patient?_id=storage-p&_revinclude=Task:patient&_count=1000');
    expect(res.status).toBe(200);
    const bytes = Buffer.byteLength(JSON.stringify(res.body));
    expect(bytes).toBeLessThanOrEqual(PAGE_BYTES + FRAMING);
    expect(refs(res.body)).toContain('Patient/storage-p');
    const included = refs(res.body).filter((r) => r.startsWith('Task/'));
    expect(included.length).toBeGreaterThan(0);
    expect(included.length).toBeLessThan(11);
    const outcome = res.body.entry.find((e: { search?: { mode?: string } }) => e.search?.mode === 'outcome');
    expect(outcome.resource.issue[0]).toMatchObject({ severity: 'warning', code: 'too-costly' });
    expect(outcome.resource.issue[0].diagnostics).toContain('SEARCH_PAGE_MAX_BYTES');
    // The server is still up and answers.
    expect((await writer('/Patient/storage-p')).status).toBe(200);
  });

  test('_history at a large _count ends each page within the budget and pages through every version', async () => {
    const seen = new Set<string>();
    let url: string | undefined = '/Task/_history?_count=1000';
    let pages = 0;
    while (url !== undefined) {
      const res = await writer(url);
      expect(res.status).toBe(200);
      expect(Buffer.byteLength(JSON.stringify(res.body))).toBeLessThanOrEqual(PAGE_BYTES + FRAMING);
      for (const e of res.body.entry ?? []) seen.add(`${e.resource.id}/${e.resource.meta.versionId}`);
      const next = (res.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      url = next?.url.slice(BASE_URL.length);
      pages++;
      expect(pages).toBeLessThan(20);
    }
    // 10 + 1 + 1 of the writer, 1 of the other client.
    expect(seen.size).toBe(13);
    expect(pages).toBeGreaterThan(1);
  });
});
