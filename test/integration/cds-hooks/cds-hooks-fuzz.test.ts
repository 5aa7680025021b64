/**
 * Property: whatever the body of a hook call or a feedback call, the service answers 200 or a
 * 4xx JSON error, never a 5xx. Bodies are valid requests with one member replaced by any JSON
 * value (or removed), arbitrary JSON, and arbitrary text.
 */
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../../support/test-server';
import { hookRequest, medicationRequest, SELECT, serviceRequest, SIGN } from './cds-helpers';

const RUNS = 150;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ env: { AUTH: 'off', LOAD_CONTENT: 'true', BASE_URL: 'https://cds.test/fhir' } });
});
afterAll(async () => {
  await server.close();
});

type Json = unknown;

/** Every path (as keys) of a JSON value, the root included. */
function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (typeof value === 'object' && value !== null) return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  return here;
}

function replaced(value: Json, path: (string | number)[], replacement: Json | undefined): Json {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Record<string, Json>) }) as Record<string | number, Json>;
  const [head, ...rest] = path;
  if (rest.length === 0 && replacement === undefined) delete copy[head];
  else copy[head] = replaced(copy[head], rest, replacement);
  return copy;
}

const valid = () =>
  hookRequest(
    'order-select',
    [serviceRequest('sr-1', '63047', { occurrenceDateTime: '2026-12-15', occurrencePeriod: { start: '2026-12-15' } }), medicationRequest('med-1')],
    ['ServiceRequest/sr-1', 'MedicationRequest/med-1'],
    { prefetch: { patient: { resourceType: 'Patient', id: 'pat-1', gender: 'female', name: [{ given: ['Ana'] }] } } },
  );
const validPaths = paths(valid());

const hostileText = fc.constantFrom('', ' ', 'null', '\u0000', '2026-13-45', '0000-01-01', '0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', '9999-12-31T23:59:59Z', "'; drop table cds_card; --", 'a'.repeat(5000), '\\u0000', 'ServiceRequest/sr-1', 'http://www.ama-assn.org/go/cpt|63047');
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileText, fc.constant(undefined));

async function post(path: string, body: string): Promise<number> {
  const res = await fetch(`${server.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${res.status} for ${body.slice(0, 500)}: ${text.slice(0, 300)}`);
  expect(() => JSON.parse(text)).not.toThrow();
  return res.status;
}

test('a hook call with any one member replaced or removed never answers 5xx', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...validPaths), anyValue, fc.constantFrom(SELECT, SIGN), async (path, value, endpoint) => {
      let body = replaced(valid(), path, value) as Record<string, unknown> | undefined;
      if (endpoint === SIGN && typeof body === 'object' && body !== null && !Array.isArray(body) && body.hook === 'order-select') body = { ...body, hook: 'order-sign' };
      const status = await post(endpoint, JSON.stringify(body) ?? '');
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }),
    { numRuns: RUNS },
  );
  // The mutations mostly still reach the card code: not everything is refused at parsing.
  expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 4);
});

test('arbitrary JSON and text as a hook call or feedback body never answer 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), fc.string(), fc.string({ unit: 'binary' })), fc.constantFrom(SELECT, SIGN, `${SELECT}/feedback`), async (body, endpoint) => {
      await post(endpoint, body);
    }),
    { numRuns: RUNS },
  );
});

test('feedback with any one member replaced never answers 5xx', async () => {
  const feedback = { feedback: [{ card: 'c-1', outcome: 'accepted', acceptedSuggestions: [{ id: 's-1' }], overrideReason: { reason: { system: 'https://x.test', code: 'r' }, userComment: 'c' }, outcomeTimestamp: '2026-12-07T10:00:00Z' }] };
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...paths(feedback)), anyValue, async (path, value) => {
      await post(`${SELECT}/feedback`, JSON.stringify(replaced(feedback, path, value)) ?? '');
    }),
    { numRuns: RUNS },
  );
});
