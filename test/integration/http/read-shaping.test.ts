import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { request } from 'node:http';
import { startTestServer, type TestServer } from '../../support/test-server';

/** A GET with exactly the headers given (fetch would add its own Accept-Encoding and decode the body). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('_summary and _elements on read, compression, fhirVersion negotiation', () => {
  let server: TestServer;
  let patientId: string;
  let observationId: string;
  beforeAll(async () => {
    server = await startTestServer();
    const patient = await server.fetch('/Patient', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Patient',
        text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ann Lee</div>' },
        name: [{ family: 'Lee', given: ['Ann'] }],
        gender: 'female',
        birthDate: '1970-05-01',
        contact: [{ name: { family: 'Kim' }, gender: 'male' }],
        maritalStatus: { text: 'married' },
      }),
    });
    patientId = patient.body.id;
    const note = Array.from({ length: 40 }, (_, i) => ({ text: `Note number ${i} about the operation and how the patient prepares for it` }));
    const observation = await server.fetch('/Observation', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'preparation notes' }, note }),
    });
    expect(observation.status).toBe(201);
    observationId = observation.body.id;
  });
  afterAll(async () => {
    await server.close();
  });

  const subsetted = (body: { meta?: { tag?: { code?: string }[] } }) => body.meta?.tag?.some((t) => t.code === 'SUBSETTED');

  it('_summary=true on a read keeps the summary elements, inside backbone elements too, and tags the result SUBSETTED', async () => {
    const r = await server.fetch(`/Patient/${patientId}?_summary=true`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resourceType: 'Patient', id: patientId, name: [{ family: 'Lee' }], gender: 'female', birthDate: '1970-05-01' });
    expect(r.body.text).toBeUndefined();
    expect(r.body.contact).toBeUndefined();
    expect(r.body.maritalStatus).toBeUndefined();
    expect(subsetted(r.body)).toBe(true);
    const full = await server.fetch(`/Patient/${patientId}`);
    expect(full.body.contact).toHaveLength(1);
    expect(subsetted(full.body)).toBeFalsy();
  });

  it('_summary=text, data and _elements on a read; the same on a vread', async () => {
    const text = await server.fetch(`/Patient/${patientId}?_summary=text`);
    expect(text.body.text.div).toContain('Ann Lee');
    expect(text.body.name).toBeUndefined();
    const data = await server.fetch(`/Patient/${patientId}?_summary=data`);
    expect(data.body.text).toBeUndefined();
    expect(data.body.contact).toHaveLength(1);
    const elements = await server.fetch(`/Patient/${patientId}?_elements=birthDate,Patient.gender`);
    expect(Object.keys(elements.body).sort()).toEqual(['birthDate', 'gender', 'id', 'meta', 'resourceType']);
    expect(subsetted(elements.body)).toBe(true);
    const vread = await server.fetch(`/Patient/${patientId}/_history/1?_elements=name`);
    expect(vread.status).toBe(200);
    expect(Object.keys(vread.body).sort()).toEqual(['id', 'meta', 'name', 'resourceType']);
  });

  it('refuses _summary=count and malformed values on a read with 400', async () => {
    expect((await server.fetch(`/Patient/${patientId}?_summary=count`)).status).toBe(400);
    expect((await server.fetch(`/Patient/${patientId}?_summary=maybe`)).status).toBe(400);
    expect((await server.fetch(`/Patient/${patientId}?_elements=name;drop`)).status).toBe(400);
  });

  it('_summary=true on /metadata keeps the resource types and drops their search parameters', async () => {
    const full = await server.fetch('/metadata');
    const summary = await server.fetch('/metadata?_summary=true');
    expect(summary.status).toBe(200);
    expect(summary.body.fhirVersion).toBe('4.0.1');
    expect(summary.body.rest[0].resource.length).toBe(full.body.rest[0].resource.length);
    expect(summary.body.rest[0].resource[0].type).toBe(full.body.rest[0].resource[0].type);
    expect(summary.body.rest[0].resource.some((r: { searchParam?: unknown }) => r.searchParam !== undefined)).toBe(false);
    expect(JSON.stringify(summary.body).length).toBeLessThan(JSON.stringify(full.body).length / 5);
  });

  it.each([
    ['br', 'br', brotliDecompressSync],
    ['gzip', 'gzip', gunzipSync],
    ['gzip;q=1, br;q=0', 'gzip', gunzipSync],
  ])('compresses /metadata, a read and a search (Express and fast path) for Accept-Encoding: %s', async (accept, encoding, decode) => {
    for (const path of ['/metadata', `/Observation/${observationId}`, '/Observation?_count=5']) {
      const r = await rawGet(`${server.base}${path}`, { 'accept-encoding': accept });
      expect({ path, status: r.status, encoding: r.headers['content-encoding'] }).toEqual({ path, status: 200, encoding });
      expect(String(r.headers.vary)).toMatch(/Accept-Encoding/i);
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
      const body = JSON.parse(decode(r.body).toString('utf8'));
      expect(body.resourceType).toBe(path === '/metadata' ? 'CapabilityStatement' : path.includes('?') ? 'Bundle' : 'Observation');
    }
  });

  it('answers uncompressed without Accept-Encoding, with identity, and for small bodies', async () => {
    const variants: Record<string, string>[] = [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }];
    for (const headers of variants) {
      const r = await rawGet(`${server.base}/Observation/${observationId}`, headers);
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(JSON.parse(r.body.toString('utf8')).id).toBe(observationId);
    }
    const small = await rawGet(`${server.base}/Patient/${patientId}?_elements=gender`, { 'accept-encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('answers 406 to an Accept that asks for another fhirVersion, on the Express path and the fast path', async () => {
    for (const path of ['/metadata', `/Patient/${patientId}`, '/Patient']) {
      const r = await server.fetch(path, { headers: { accept: 'application/fhir+json; fhirVersion=3.0' } });
      expect({ path, status: r.status }).toEqual({ path, status: 406 });
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(r.body.issue[0].diagnostics).toMatch(/fhirVersion/);
    }
    const r4 = await server.fetch(`/Patient/${patientId}`, { headers: { accept: 'application/fhir+json; fhirVersion=4.0' } });
    expect(r4.status).toBe(200);
  });
});
