import type { CapabilityStatement, OperationOutcome } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';

describe('The CapabilityStatement is valid R4', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('passes the server\'s own validator without an error or warning', async () => {
    const metadata = await server.fetch('/metadata');
    expect(metadata.status).toBe(200);
    const result = await server.fetch('/CapabilityStatement/$validate', { method: 'POST', body: JSON.stringify(metadata.body) });
    expect(result.status).toBe(200);
    const problems = (result.body as OperationOutcome).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal' || i.severity === 'warning');
    expect(problems).toEqual([]);
  });

  it('lists each search parameter once per resource type (cpb-12), _text and _content included', async () => {
    const statement = (await server.fetch('/metadata')).body as CapabilityStatement;
    for (const resource of statement.rest![0].resource!) {
      const names = (resource.searchParam ?? []).map((p) => p.name);
      expect({ type: resource.type, duplicates: names.filter((n, i) => names.indexOf(n) !== i) }).toEqual({ type: resource.type, duplicates: [] });
      expect(names).toEqual(expect.arrayContaining(['_text', '_content']));
    }
  });
});
