import { startTestServer, type TestServer } from '../../support/test-server';

const BASE = 'https://patient-education.dev/fhir';
const CPT = 'http://www.ama-assn.org/go/cpt';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const SCT = 'http://snomed.info/sct';
const RISK = `${BASE}/CodeSystem/procedure-risk`;
const PROCEDURES = `${BASE}/ValueSet/foraminotomy-procedure`;
const enc = encodeURIComponent;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  const put = async (resource: any) => {
    const res = await server.fetch(`/${resource.resourceType}/${resource.id}`, { method: 'PUT', body: JSON.stringify(resource) });
    expect([200, 201]).toContain(res.status);
  };
  await put({ resourceType: 'ValueSet', id: 'all-snomed', url: 'http://example.org/ValueSet/all-snomed', status: 'active', compose: { include: [{ system: SCT }] } });
  await put({ resourceType: 'ValueSet', id: 'loop', url: 'http://example.org/ValueSet/loop', status: 'active', compose: { include: [{ valueSet: ['http://example.org/ValueSet/loop'] }] } });
});
afterAll(async () => {
  await server.close();
});

const param = (body: any, name: string) => body.parameter?.find((p: any) => p.name === name);
const post = (path: string, parameter: any[]) => server.fetch(path, { method: 'POST', body: JSON.stringify({ resourceType: 'Parameters', parameter }) });
const expectOutcome = (res: { status: number; body: any }, status: number, text: string) => {
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toContain(text);
};

describe('CodeSystem/$lookup', () => {
  test('a code of a code system the server holds: name, display, properties and hierarchy', async () => {
    const res = await server.fetch(`/CodeSystem/$lookup?system=${enc(RISK)}&code=bleeding`);
    expect(res.status).toBe(200);
    expect(param(res.body, 'display').valueString).toMatch(/bleeding/i);
    expect(param(res.body, 'name').valueString).toBeDefined();
    const parent = res.body.parameter.find((p: any) => p.name === 'property' && p.part[0].valueCode === 'parent');
    expect(parent.part[1].valueCode).toBe('general');
    const only = await server.fetch(`/CodeSystem/$lookup?system=${enc(RISK)}&code=general&property=category`);
    expect(only.body.parameter.filter((p: any) => p.name === 'property').map((p: any) => p.part[0].valueCode)).toEqual(['category']);
  });

  test('a coding in a POSTed Parameters', async () => {
    const res = await post('/CodeSystem/$lookup', [{ name: 'coding', valueCoding: { system: RISK, code: 'infection' } }]);
    expect(res.status).toBe(200);
    expect(param(res.body, 'display').valueString).toMatch(/infection/i);
  });

  test('failures: a system the server does not hold, an unknown code, a code without system', async () => {
    expectOutcome(await server.fetch(`/CodeSystem/$lookup?system=${enc(SCT)}&code=22298006`), 404, 'not held by this server');
    expectOutcome(await server.fetch(`/CodeSystem/$lookup?system=${enc(CPT)}&code=63047`), 404, 'not held by this server');
    expectOutcome(await server.fetch(`/CodeSystem/$lookup?system=${enc(RISK)}&code=no-such-code`), 404, 'no-such-code');
    expectOutcome(await server.fetch('/CodeSystem/$lookup?code=bleeding'), 400, 'system');
  });
});

describe('ValueSet/$expand', () => {
  test('by url, with expansion.total', async () => {
    const res = await server.fetch(`/ValueSet/$expand?url=${enc(PROCEDURES)}`);
    expect(res.status).toBe(200);
    expect(res.body.expansion.total).toBe(20);
    expect(res.body.expansion.contains.map((c: any) => c.code)).toEqual(['63020', '63030', '63035', '63040', '63042', '63043', '63044', '62380', '63045', '63046', '63047', '63048', '63052', '63053', '01N10ZZ', '01N14ZZ', '01N80ZZ', '01N84ZZ', '01NB0ZZ', '01NB4ZZ']);
  });

  test('on the instance, with filter, offset and count', async () => {
    const filtered = await server.fetch('/ValueSet/foraminotomy-procedure/$expand?filter=LUMBAR');
    // 63035 reads "each additional interspace, cervical or lumbar"; 63048 "cervical, thoracic, or lumbar".
    expect(filtered.body.expansion.total).toBe(11);
    expect(filtered.body.expansion.contains.map((c: any) => c.code)).toEqual(['63030', '63035', '63042', '63044', '62380', '63047', '63048', '63052', '63053', '01NB0ZZ', '01NB4ZZ']);
    const page = await server.fetch(`/ValueSet/$expand?url=${enc(PROCEDURES)}&offset=2&count=3`);
    expect(page.body.expansion.total).toBe(20);
    expect(page.body.expansion.offset).toBe(2);
    expect(page.body.expansion.contains.map((c: any) => c.code)).toEqual(['63035', '63040', '63042']);
  });

  test('a value set given in the request', async () => {
    const res = await post('/ValueSet/$expand', [
      { name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'draft', compose: { include: [{ system: RISK, filter: [{ property: 'concept', op: 'descendent-of', value: 'general' }] }] } } },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.expansion.contains.map((c: any) => c.code)).toContain('bleeding');
    expect(res.body.expansion.contains.map((c: any) => c.code)).not.toContain('general');
  });

  test('failures: all of SNOMED CT, a cycle, an unknown value set, a bad count', async () => {
    expectOutcome(await server.fetch(`/ValueSet/$expand?url=${enc('http://example.org/ValueSet/all-snomed')}`), 400, 'does not hold');
    expectOutcome(await server.fetch('/ValueSet/loop/$expand'), 400, 'includes itself');
    expectOutcome(await server.fetch(`/ValueSet/$expand?url=${enc('http://example.org/ValueSet/nowhere')}`), 404, 'not known');
    expectOutcome(await server.fetch(`/ValueSet/$expand?url=${enc(PROCEDURES)}&count=many`), 400, 'count');
  });
});

describe('ValueSet/$validate-code', () => {
  test('a code in the value set, with its display', async () => {
    const res = await server.fetch(`/ValueSet/$validate-code?url=${enc(PROCEDURES)}&system=${enc(CPT)}&code=63047`);
    expect(param(res.body, 'result').valueBoolean).toBe(true);
    expect(param(res.body, 'display').valueString).toMatch(/lumbar/);
  });

  test('a code not in it, a wrong display, a codeableConcept with one good coding', async () => {
    const absent = await server.fetch(`/ValueSet/$validate-code?url=${enc(PROCEDURES)}&system=${enc(CPT)}&code=27447`);
    expect(param(absent.body, 'result').valueBoolean).toBe(false);
    expect(param(absent.body, 'message').valueString).toContain('27447');
    const display = await server.fetch(`/ValueSet/foraminotomy-procedure/$validate-code?system=${enc(PCS)}&code=01NB0ZZ&display=Knee`);
    expect(param(display.body, 'result').valueBoolean).toBe(false);
    expect(param(display.body, 'message').valueString).toContain('Release Lumbar Nerve');
    const concept = await post('/ValueSet/$validate-code', [
      { name: 'url', valueUri: PROCEDURES },
      { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: SCT, code: '1' }, { system: PCS, code: '01N10ZZ' }] } },
    ]);
    expect(param(concept.body, 'result').valueBoolean).toBe(true);
  });

  test('failures: a code the server cannot know, no code, two ways of giving it', async () => {
    expectOutcome(await server.fetch(`/ValueSet/all-snomed/$validate-code?system=${enc(SCT)}&code=22298006`), 400, 'cannot say');
    expectOutcome(await server.fetch(`/ValueSet/$validate-code?url=${enc(PROCEDURES)}`), 400, 'code');
    expectOutcome(
      await post('/ValueSet/$validate-code', [
        { name: 'url', valueUri: PROCEDURES },
        { name: 'code', valueCode: '63047' },
        { name: 'coding', valueCoding: { system: CPT, code: '63047' } },
      ]),
      400,
      'only one',
    );
  });
});

describe('ConceptMap/$translate', () => {
  test('CPT to ICD-10-PCS through the library map, and back with reverse', async () => {
    const res = await server.fetch(`/ConceptMap/$translate?system=${enc(CPT)}&code=63047`);
    expect(param(res.body, 'result').valueBoolean).toBe(true);
    const match = param(res.body, 'match');
    expect(match.part.find((p: any) => p.name === 'equivalence').valueCode).toBe('inexact');
    expect(match.part.find((p: any) => p.name === 'concept').valueCoding).toMatchObject({ system: PCS, code: '01NB0ZZ' });
    expect(match.part.find((p: any) => p.name === 'source').valueUri).toBe(`${BASE}/ConceptMap/foraminotomy-procedure-codes`);
    const back = await server.fetch(`/ConceptMap/$translate?system=${enc(PCS)}&code=01NB0ZZ&reverse=true&targetsystem=${enc(CPT)}`);
    expect(param(back.body, 'result').valueBoolean).toBe(true);
    expect(back.body.parameter.filter((p: any) => p.name === 'match').map((m: any) => m.part.find((p: any) => p.name === 'concept').valueCoding.code).sort()).toEqual(['63030', '63042', '63044', '63047', '63052', '63053']);
  });

  test('an unmatched mapping is reported but is not a result', async () => {
    const res = await server.fetch(`/ConceptMap/$translate?url=${enc(`${BASE}/ConceptMap/foraminotomy-procedure-codes`)}&system=${enc(CPT)}&code=63048`);
    expect(param(res.body, 'result').valueBoolean).toBe(false);
    expect(param(res.body, 'match').part[0].valueCode).toBe('unmatched');
  });

  test('a site map answers from its commit on, and no longer once deleted', async () => {
    const SITE = 'https://hospital.example.org/order-codes';
    const ask = () => server.fetch(`/ConceptMap/$translate?system=${enc(SITE)}&code=SPINE-42`);
    expect(param((await ask()).body, 'result').valueBoolean).toBe(false);
    const created = await server.fetch('/ConceptMap', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'ConceptMap', status: 'active', url: 'https://hospital.example.org/ConceptMap/spine', group: [{ source: SITE, target: CPT, element: [{ code: 'SPINE-42', target: [{ code: '63047', equivalence: 'equivalent' }] }] }] }),
    });
    expect(created.status).toBe(201);
    const mapped = await ask();
    expect(param(mapped.body, 'result').valueBoolean).toBe(true);
    expect(param(mapped.body, 'match').part.find((p: any) => p.name === 'concept').valueCoding).toMatchObject({ system: CPT, code: '63047' });
    await server.fetch(`/ConceptMap/${created.body.id}`, { method: 'DELETE' });
    const gone = await ask();
    expect(param(gone.body, 'result').valueBoolean).toBe(false);
    expect(param(gone.body, 'message').valueString).toContain('No ConceptMap');
  });

  test('failures: an unknown map url, no code, a bad reverse', async () => {
    expectOutcome(await server.fetch(`/ConceptMap/$translate?url=${enc('http://example.org/ConceptMap/none')}&system=${enc(CPT)}&code=63047`), 404, 'not known');
    expectOutcome(await server.fetch('/ConceptMap/$translate?system=x'), 400, 'code');
    expectOutcome(await server.fetch(`/ConceptMap/$translate?system=${enc(CPT)}&code=63047&reverse=maybe`), 400, 'reverse');
  });
});

describe('the terminology operations are discoverable', () => {
  test.each([
    ['CodeSystem', 'lookup'],
    ['ValueSet', 'expand'],
    ['ValueSet', 'validate-code'],
    ['ConceptMap', 'translate'],
  ])('%s/$%s is in the CapabilityStatement and its OperationDefinition is served', async (type, code) => {
    const metadata = await server.fetch('/metadata');
    const resource = metadata.body.rest[0].resource.find((r: any) => r.type === type);
    const operation = resource.operation.find((o: any) => o.name === code);
    expect(operation.definition).toBe(`${BASE}/OperationDefinition/${code}`);
    const definition = await server.fetch(`/OperationDefinition?url=${enc(operation.definition)}`);
    expect(definition.body.entry).toHaveLength(1);
    const op = definition.body.entry[0].resource;
    expect(op).toMatchObject({ code, resource: [type], base: expect.stringMatching(/^http:\/\/hl7\.org\/fhir\/OperationDefinition\//) });
    for (const parameter of op.parameter) expect(parameter).toEqual(expect.objectContaining({ name: expect.any(String), use: expect.any(String), min: expect.any(Number), max: expect.any(String), documentation: expect.any(String) }));
  });
});
