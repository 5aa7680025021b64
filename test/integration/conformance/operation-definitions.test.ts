import type { CapabilityStatement, OperationDefinition } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';

const BASE = 'https://patient-education.dev/fhir';

interface Listed {
  name: string;
  definition: string;
  /** Where the CapabilityStatement lists it: 'system' or a resource type. */
  at: string;
}

describe('Every operation is discoverable as an OperationDefinition served by the server', () => {
  let server: TestServer;
  let listed: Listed[];
  beforeAll(async () => {
    server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
    const statement = (await server.fetch('/metadata')).body as CapabilityStatement;
    const rest = statement.rest![0];
    listed = [
      ...(rest.operation ?? []).map((o) => ({ name: o.name, definition: o.definition, at: 'system' })),
      ...(rest.resource ?? []).flatMap((r) => (r.operation ?? []).map((o) => ({ name: o.name, definition: o.definition, at: r.type }))),
    ];
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists operations, each with a definition under the library\'s canonical base', () => {
    expect(listed.length).toBeGreaterThan(0);
    for (const op of listed) expect({ op: op.name, definition: op.definition }).toEqual({ op: op.name, definition: `${BASE}/OperationDefinition/${op.name}` });
  });

  it('resolves the definition of every operation of the CapabilityStatement on the server, by url, by code and by id', async () => {
    const checked = new Map<string, OperationDefinition>();
    for (const op of listed) {
      let definition = checked.get(op.definition);
      if (definition === undefined) {
        const byUrl = await server.fetch(`/OperationDefinition?url=${encodeURIComponent(op.definition)}`);
        expect({ op: op.name, status: byUrl.status, found: byUrl.body.entry?.length }).toEqual({ op: op.name, status: 200, found: 1 });
        definition = byUrl.body.entry[0].resource as OperationDefinition;
        const byId = await server.fetch(`/OperationDefinition/${definition.id}`);
        expect(byId.status).toBe(200);
        expect(byId.body.url).toBe(op.definition);
        const byCode = await server.fetch(`/OperationDefinition?code=${op.name}`);
        expect(byCode.body.entry.map((e: { resource: OperationDefinition }) => e.resource.url)).toContain(op.definition);
        checked.set(op.definition, definition);
      }
      expect(definition.code).toBe(op.name);
      if (op.at === 'system') expect(definition.system).toBe(true);
      else {
        expect(definition.type || definition.instance).toBe(true);
        expect(definition.resource?.some((r) => r === op.at || r === 'Resource')).toBe(true);
      }
      for (const p of definition.parameter ?? []) {
        expect({ op: op.name, parameter: p.name, complete: Boolean(p.use && p.min !== undefined && p.max && (p.type || p.part) && p.documentation) }).toEqual({
          op: op.name,
          parameter: p.name,
          complete: true,
        });
      }
    }
  });

  it('GET OperationDefinition?code=apply finds $apply, based on the R4 definition, with our order and procedureDate', async () => {
    const found = await server.fetch('/OperationDefinition?code=apply');
    expect(found.status).toBe(200);
    const apply = found.body.entry.find((e: { resource: OperationDefinition }) => e.resource.url === `${BASE}/OperationDefinition/apply`).resource as OperationDefinition;
    expect(apply.base).toBe('http://hl7.org/fhir/OperationDefinition/PlanDefinition-apply');
    const names = (apply.parameter ?? []).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['subject', 'order', 'procedureDate', 'return']));
  });

  it('serves definitions that the server\'s own validator accepts', async () => {
    const all = await server.fetch('/OperationDefinition?_count=100');
    expect(all.body.entry.length).toBeGreaterThan(0);
    for (const entry of all.body.entry as { resource: OperationDefinition }[]) {
      const result = await server.fetch('/OperationDefinition/$validate', { method: 'POST', body: JSON.stringify(entry.resource) });
      const errors = result.body.issue.filter((i: { severity: string }) => i.severity === 'error' || i.severity === 'fatal');
      expect({ id: entry.resource.id, errors }).toEqual({ id: entry.resource.id, errors: [] });
    }
  });
});
