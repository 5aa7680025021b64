/**
 * Property: whatever the query string, a search answers a Bundle (200) or a 4xx
 * OperationOutcome — never a 5xx, never a hang. Parameter names and values are drawn from
 * the real vocabulary (parameters, modifiers, prefixes, chains, _has, includes) mixed with
 * hostile text (SQL, escapes, NUL, surrogates, huge numbers, out-of-range dates).
 */
import fc from 'fast-check';
import type { Resource } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import { putAll } from './search-helpers';

const RUNS = 200;
const REQUEST_TIMEOUT_MS = 15_000;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await putAll(server, [
    { resourceType: 'Organization', id: 'o1', name: 'Acme' } as Resource,
    { resourceType: 'Patient', id: 'p1', name: [{ family: 'Núñez', given: ['Ana'] }], gender: 'female', birthDate: '1980-02-29', managingOrganization: { reference: 'Organization/o1' } } as Resource,
    { resourceType: 'Patient', id: 'p2', identifier: [{ system: 'urn:x', value: 'a|b,c$d\\e' }] } as Resource,
    { resourceType: 'Observation', id: 'ob1', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 5.4, code: 'mg', system: 'http://unitsofmeasure.org' }, effectiveDateTime: '2024-11-07T10:00:00Z' } as Resource,
    { resourceType: 'Library', id: 'l1', url: 'http://example.org/Library/l1', status: 'active', title: 'Pre-op', type: { text: 'asset' } } as Resource,
    { resourceType: 'Measure', id: 'm1', status: 'active', library: ['http://example.org/Library/l1|1.0'] } as Resource,
    { resourceType: 'Task', id: 't1', status: 'requested', intent: 'order', focus: { reference: 'Library/l1' }, for: { reference: 'Patient/p1' } } as Resource,
    { resourceType: 'ActivityDefinition', id: 'ad1', status: 'active', url: 'http://example.org/ActivityDefinition/ad1', useContext: [{ code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'focus' }, valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '123' }] } }] } as Resource,
    { resourceType: 'Media', id: 'd1', status: 'completed', content: { contentType: 'text/plain', data: Buffer.from('narrowed').toString('base64') } } as Resource,
    { resourceType: 'RiskAssessment', id: 'r1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.5 }] } as Resource,
  ]);
});

afterAll(async () => {
  await server.close();
});

afterAll(() => {
  // At least a quarter of the random searches got past parsing and ran as SQL.
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  expect((statuses.get(200) ?? 0) / total).toBeGreaterThan(0.25);
});

const TYPES = ['Patient', 'Observation', 'Task', 'ActivityDefinition', 'Library', 'Measure', 'Media', 'PlanDefinition', 'DocumentReference', 'Questionnaire', 'RiskAssessment', 'Organization'];

const knownNames = fc.constantFrom(
  'family', 'name', 'given', 'gender', 'birthdate', 'identifier', 'organization', 'address-city', 'telecom', 'active',
  'code', 'subject', 'patient', 'date', 'value-quantity', 'status', 'focus', 'owner', 'title', 'url', 'version',
  'context-type-value', 'context-type-quantity', 'probability', 'type', 'category',
  '_id', '_lastUpdated', '_tag', '_profile', '_security', '_source', '_text', '_content', '_list', '_query', '_filter',
  '_sort', '_count', '_total', '_summary', '_elements', '_include', '_revinclude', '_include:iterate', '_revinclude:iterate',
  '_cursor', '_type', '_format', '_pretty', '_contained',
  'organization.name', 'organization:Organization.name', 'subject:Patient.name', 'focus:Library.title', 'focus:Measure.depends-on:Library.title',
  'subject:Patient.organization.name', 'focus.title', '_has:Observation:subject:code', '_has:Task:focus:status',
  '_has:Observation:subject:_has:Task:focus:status', '_has:', '_has:X:y:z',
);
const modifiers = fc.constantFrom(
  'exact', 'contains', 'missing', 'not', 'text', 'of-type', 'in', 'not-in', 'below', 'above', 'identifier',
  'Patient', 'Organization', 'iterate', 'nonsense', '', ':', 'Patient.name',
);
const name = fc.oneof(
  { weight: 5, arbitrary: knownNames },
  { weight: 3, arbitrary: fc.tuple(knownNames, modifiers).map(([n, m]) => `${n}:${m}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
);

const hostile = fc.constantFrom(
  "'; drop table resource; --", "' or '1'='1", '\\', '\\,', '\\|', '\\$', '\\\\', '%', '_', '*', '|', '||', '$', ',', ',,', '$|,\\',
  '\u0000', 'a\u0000b', '\u202e', '😀', '\uD800', '\uFFFF', '<script>alert(1)</script>', '${x}', '`', '"', "'", '(', ')',
  '1e308', '-1e308', '1e999', '1e-999', 'NaN', 'Infinity', '-0', '0.' + '0'.repeat(300) + '1', '9'.repeat(400),
  '9999-12-31T23:59:59.999Z', '9999', '0001', '0000', '10000-01-01', '2024-02-30', '2024-13', '2024-01-01T24:00Z', '2024-01-01T10:00+14:00',
  'gt', 'ap', 'sa', 'eb9999', 'ap0001-01-01', 'ne', 'eq-1', 'le0001-01-01', 'ge1e308', 'lt-1e308||', 'gt5|http://unitsofmeasure.org|mg',
  'Patient/', 'Patient/../x', 'Patient/p1/_history/1', 'Patient/p1/_history/x', 'http://', 'urn:', 'http://example.org/Library/l1|1.0', 'depends-on',
  'null', 'true', 'false', 'maybe', ' ', '\t\n', 'a'.repeat(3000), '*', 'Patient:organization', 'Task:focus:Library', 'Patient:*',
  '-family,_id', '-', 'family,', 'focus$123', 'focus$', '$123', 'focus$gt5||mg', 'http://snomed.info/sct|123', '|123', 'http://snomed.info/sct|',
  'none', 'estimate', 'accurate', 'count', 'text', 'data', 'name,gender', 'na.me', 'eyJrIjpbImEiXSwiYiI6MH0', 'eyJrIjpbXX0',
);
const prefixed = fc
  .tuple(fc.constantFrom('', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'xx'), fc.oneof(fc.double({ noNaN: false }).map(String), fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid' : d.toISOString())), fc.integer().map(String)))
  .map(([p, v]) => `${p}${v}`);
const atom = fc.oneof(
  { weight: 4, arbitrary: hostile },
  { weight: 2, arbitrary: prefixed },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);
const value = fc.oneof(
  { weight: 3, arbitrary: atom },
  { weight: 1, arbitrary: fc.array(atom, { minLength: 2, maxLength: 4 }).chain((parts) => fc.constantFrom(',', '|', '$', '\\,').map((sep) => parts.join(sep))) },
);
const pairs = fc.array(fc.tuple(name, value), { maxLength: 6 });

/** Keeps the URL under the HTTP layer's header limit (a 431 there is Node's, not ours). */
function encode(params: [string, string][]): string {
  let query = new URLSearchParams(params).toString();
  if (query.length > 6000) query = query.slice(0, 6000).replace(/%[0-9A-F]?$/i, '');
  return query;
}

/** Answers seen, by status: a check that the runs reach the database, not only the parser. */
const statuses = new Map<number, number>();

async function expectBundleOrClientError(path: string, init: RequestInit = {}): Promise<void> {
  const response = await server.fetch(path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  const kind = response.body?.resourceType;
  const ok = (response.status === 200 && kind === 'Bundle') || (response.status >= 400 && response.status < 500 && kind === 'OperationOutcome');
  if (!ok) throw new Error(`${init.method ?? 'GET'} ${path.slice(0, 500)} -> ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
}

test('GET [type]?<random parameters> answers a Bundle or a 4xx OperationOutcome', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TYPES), pairs, async (type, params) => {
      await expectBundleOrClientError(`/${type}?${encode(params)}`);
    }),
    { numRuns: RUNS },
  );
});

test('POST [type]/_search with a random form body answers a Bundle or a 4xx OperationOutcome', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TYPES), pairs, async (type, params) => {
      await expectBundleOrClientError(`/${type}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: encode(params),
      });
    }),
    { numRuns: RUNS / 2 },
  );
});

test('GET [base]?_type=<random types>&<random parameters> answers a Bundle or a 4xx OperationOutcome', async () => {
  const types = fc.oneof(
    fc.subarray(TYPES, { minLength: 1 }).map((t) => t.join(',')),
    fc.constantFrom('', ',', 'Nonsense', 'Patient,,Observation', 'patient', 'Patient ,Task'),
  );
  await fc.assert(
    fc.asyncProperty(types, pairs, async (typeList, params) => {
      await expectBundleOrClientError(`/?${encode([['_type', typeList], ...params])}`);
    }),
    { numRuns: RUNS / 2 },
  );
});

test('raw, badly percent-encoded query strings answer a Bundle or a 4xx OperationOutcome', async () => {
  const raw = fc.array(
    fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%FF%FE', '%C0%AF', '%ED%A0%80', '+', '&', '=', '==', '&&', 'family', '_has:', ':', '.', '%2C', '%7C', '%5C', 'gt', '2024', '_sort=', '_count=9999999999999999999999'),
    { maxLength: 12 },
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...TYPES), raw, async (type, parts) => {
      await expectBundleOrClientError(`/${type}?${parts.join('')}`);
    }),
    { numRuns: RUNS / 2 },
  );
});
