/**
 * Property: the FHIR router and authorization decide from the same route table. For requests
 * drawn from the URL shapes of the API (types valid and not, ids valid and not, operations,
 * `_history`, `_search`, compartments, trailing and doubled slashes, percent-encoding) and odd
 * methods, sent over HTTP with AUTH on:
 * - anonymous: whatever the server serves (2xx/3xx) is the CapabilityStatement or a read or
 *   search of public types only; every other interaction of a known type is 401 before the
 *   router runs; a request the table has no interaction for is 405 with the Allow of its path.
 * - a client with `system/Observation.rs`: what it is served needs no permission but r or s,
 *   on Observation or public types; it is never served a write.
 */
import fc from 'fast-check';
import type { Resource } from 'fhir/r4';
import { allowedMethods } from '../../../src/http/allowed-methods';
import { isPublicInteraction } from '../../../src/auth/middleware';
import { classify } from '../../../src/fhir/interaction';
import { isResourceType } from '../../../src/fhir/resource-types';
import { json, startSecureServer, type SecureServer } from './security-helpers';

const RUNS = 150;
const PUBLIC_TYPES = new Set(['PlanDefinition', 'Library']);

let secure: SecureServer;
let observationReader: ReturnType<SecureServer['as']>;

beforeAll(async () => {
  secure = await startSecureServer({ LOAD_CONTENT: 'false', AUTH_PUBLIC_TYPES: [...PUBLIC_TYPES].join(',') });
  const admin = secure.as(await secure.token({ scope: 'system/*.cruds' }));
  const resources = [
    { resourceType: 'Patient', id: 'p1' },
    { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } },
    { resourceType: 'PlanDefinition', id: 'pd1', status: 'active' },
    { resourceType: 'Library', id: 'l1', status: 'active', type: { text: 'asset' } },
  ] as Resource[];
  for (const r of resources) expect((await admin(`/${r.resourceType}/${r.id}`, json('PUT', r))).status).toBeLessThan(300);
  observationReader = secure.as(await secure.token({ scope: 'system/Observation.rs' }));
});

afterAll(async () => {
  await secure.close();
});

const segment = fc.oneof(
  fc.constantFrom('Patient', 'Observation', 'PlanDefinition', 'Library', 'AuditEvent', 'Nonsense', 'patient', 'metadata'),
  fc.constantFrom('_history', '_search', '$validate', '$apply', '$reindex', '$versions', '$1bad', '%24validate'),
  fc.constantFrom('p1', 'o1', 'pd1', 'l1', '1', 'a.b', 'bad_id', 'x'.repeat(65), '%70%31', '%E0%A4%A', 'white%20space'),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'PURGE'),
  segments: fc.array(segment, { maxLength: 5 }),
  trailing: fc.constantFrom('', '/', '//'),
  query: fc.constantFrom('', '_type=PlanDefinition', '_type=Patient,Library', '_type=Library,PlanDefinition', 'name=x', '_id=o1', '_summary=count'),
});

type Sample = { method: string; segments: string[]; trailing: string; query: string };

/** Sends the request; classifies the path and query the server received (after URL normalisation). */
async function send(client: ReturnType<SecureServer['as']>, s: Sample) {
  const url = new URL(`${secure.server.base}/${s.segments.join('/')}${s.trailing}${s.query ? `?${s.query}` : ''}`);
  const path = url.pathname.slice(new URL(secure.server.base).pathname.length);
  const body = ['POST', 'PUT', 'PATCH'].includes(s.method) ? '{}' : undefined;
  const response = await client(url.href, { method: s.method, body });
  return { response, path, interaction: classify(s.method, path, url.search.slice(1)) };
}

/**
 * Requests every run sends besides the drawn ones, one per outcome the anonymous property must
 * meet: a public read (200), a protected read (401) and a path the table does not route (405).
 */
const ALWAYS: [Sample][] = [
  [{ method: 'GET', segments: ['PlanDefinition', 'pd1'], trailing: '', query: '' }],
  [{ method: 'GET', segments: ['Observation', 'o1'], trailing: '', query: '' }],
  [{ method: 'DELETE', segments: ['Patient', 'p1', '_history'], trailing: '', query: '' }],
];

/** Statuses seen by the anonymous property: it must have met served, refused and unrouted requests. */
const seen = new Map<number, number>();

afterAll(() => {
  for (const status of [200, 401, 405]) expect(seen.get(status) ?? 0).toBeGreaterThan(0);
});

test('anonymous callers are served only what the route table calls public, and refused by the same table', async () => {
  const anonymous = secure.as(undefined);
  await fc.assert(
    fc.asyncProperty(request, async (s) => {
      const { response, path, interaction } = await send(anonymous, s);
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
      const served = response.status < 400;
      if (served) expect(isPublicInteraction(interaction, PUBLIC_TYPES)).toBe(true);
      const knownType = interaction.resourceType === undefined || isResourceType(interaction.resourceType);
      if (interaction.kind !== 'unknown' && knownType && !isPublicInteraction(interaction, PUBLIC_TYPES)) expect(response.status).toBe(401);
      if (interaction.kind === 'unknown' && !interaction.malformed && ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(s.method)) {
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toBe(allowedMethods(path).join(', '));
      }
      if (response.status === 405) expect(interaction.kind).toBe('unknown');
    }),
    { numRuns: RUNS, examples: ALWAYS },
  );
});

test('a client is served only interactions its scope grants, as the route table names them', async () => {
  await fc.assert(
    fc.asyncProperty(request, async (s) => {
      const { response, interaction } = await send(observationReader, s);
      if (response.status >= 400) return;
      expect(['create', 'update', 'patch', 'delete', 'batch', 'transaction']).not.toContain(interaction.kind);
      const granted = new Set(['Observation', ...PUBLIC_TYPES]);
      if (interaction.scope) {
        expect(['r', 's']).toContain(interaction.scope.permission);
        for (const t of interaction.scope.resourceTypes) expect(granted.has(t)).toBe(true);
      }
    }),
    { numRuns: RUNS },
  );
});
