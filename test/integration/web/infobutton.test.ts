import { startTestServer, type TestServer } from '../../support/test-server';

const CPT_OID = '2.16.840.1.113883.6.12';
const PCS_OID = '2.16.840.1.113883.6.4';
const ICD10CM_OID = '2.16.840.1.113883.6.90';

let server: TestServer;
/** Where the server listens. */
let origin: string;
/** The public origin the server names in its links (BASE_URL without /fhir). */
let publicOrigin: string;
beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
  origin = server.base.replace(/\/fhir$/, '');
  publicOrigin = server.ctx.config.baseUrl.replace(/\/fhir$/, '');
});
afterAll(async () => {
  await server.close();
});

const infobutton = (query: Record<string, string>) => fetch(`${origin}/infobutton?${new URLSearchParams(query).toString()}`, { redirect: 'manual' });

/** What a MedlinePlus Connect client does with the JSON: entry and link may come as one object. */
function readMedlinePlusJson(body: any): { title: string; href: string; summary: string }[] {
  const entries = body.feed.entry === undefined ? [] : Array.isArray(body.feed.entry) ? body.feed.entry : [body.feed.entry];
  return entries.map((e: any) => {
    const links = Array.isArray(e.link) ? e.link : [e.link];
    return { title: e.title._value, href: links.find((l: any) => l.rel === 'alternate').href, summary: e.summary._value };
  });
}

const json = async (query: Record<string, string>) => {
  const res = await infobutton({ ...query, knowledgeResponseType: 'application/json' });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json() as Promise<any>;
};

describe('GET /infobutton by CPT 63047 in each response type', () => {
  const cpt = { 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID };

  test('JSON, read as a MedlinePlus Connect client reads it: one entry linking to the handout page', async () => {
    const body = await json(cpt);
    expect(body.feed.title._value).toBeDefined();
    expect(body.feed.subtitle._value).toContain('63047');
    expect(body.feed.updated._value).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(body.feed.category).toEqual(
      expect.arrayContaining([
        { scheme: 'mainSearchCriteria.v.cs', term: CPT_OID },
        { scheme: 'informationRecipient', term: 'PAT' },
      ]),
    );
    const entries = readMedlinePlusJson(body);
    expect(entries).toHaveLength(1);
    expect(entries[0].href).toBe(`${publicOrigin}/education/foraminotomy`);
    expect(entries[0].title).toMatch(/foraminotomy/i);
    expect(body.feed.entry[0].id._value).toContain('/PlanDefinition/foraminotomy');
    expect(body.feed.entry[0].updated._value).toMatch(/^\d{4}-/);
    // The entry names a PlanDefinition the server serves, and its link is the handout page this server serves.
    expect((await server.fetch('/PlanDefinition/foraminotomy')).status).toBe(200);
    const page = await fetch(entries[0].href.replace(publicOrigin, origin));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  });

  test('Atom by default (text/xml): one entry with its alternate link and an HTML summary', async () => {
    const res = await infobutton(cpt);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const text = await res.text();
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom"/);
    expect(text.match(/<entry /g)).toHaveLength(1);
    expect(text).toContain(`<link href="${publicOrigin}/education/foraminotomy" rel="alternate"`);
    expect(text).toContain('<category scheme="informationRecipient" term="PAT"/>');
    expect(text).toMatch(/<summary type="html">&lt;p&gt;/);
  });

  test('text/html with one match redirects to the handout page', async () => {
    const res = await infobutton({ ...cpt, knowledgeResponseType: 'text/html' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${publicOrigin}/education/foraminotomy`);
  });

  test('text/html with no match is a short page saying so', async () => {
    const res = await infobutton({ 'mainSearchCriteria.v.c': '99999', 'mainSearchCriteria.v.cs': CPT_OID, knowledgeResponseType: 'text/html' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('no education material');
  });
});

describe('other code systems lead to the same handout', () => {
  test('ICD-10-PCS 01NB0ZZ (lumbar nerve release)', async () => {
    const entries = readMedlinePlusJson(await json({ 'mainSearchCriteria.v.c': '01NB0ZZ', 'mainSearchCriteria.v.cs': PCS_OID }));
    expect(entries.map((e) => e.href)).toEqual([`${publicOrigin}/education/foraminotomy`]);
  });

  test.each(['M99.63', 'M99.71'])('ICD-10-CM %s (foraminal stenosis), through the library ConceptMap', async (code) => {
    const entries = readMedlinePlusJson(await json({ 'mainSearchCriteria.v.c': code, 'mainSearchCriteria.v.cs': ICD10CM_OID }));
    expect(entries.map((e) => e.href)).toEqual([`${publicOrigin}/education/foraminotomy`]);
  });

  test('repeated criteria (v.c, v.c1) give each handout once', async () => {
    const entries = readMedlinePlusJson(
      await json({ 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID, 'mainSearchCriteria.v.c1': 'M99.63', 'mainSearchCriteria.v.cs1': ICD10CM_OID }),
    );
    expect(entries).toHaveLength(1);
  });

  test('a display name alone matches by title', async () => {
    const entries = readMedlinePlusJson(await json({ 'mainSearchCriteria.v.dn': 'Foraminotomy' }));
    expect(entries.map((e) => e.href)).toEqual([`${publicOrigin}/education/foraminotomy`]);
  });
});

describe('recipients, languages and misses', () => {
  test('PROV gets a clinician summary (indications, risks, steps); PAT the patient one', async () => {
    const query = { 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID };
    const [pat] = readMedlinePlusJson(await json({ ...query, informationRecipient: 'PAT' }));
    const provBody = await json({ ...query, informationRecipient: 'PROV' });
    const [prov] = readMedlinePlusJson(provBody);
    expect(pat.summary).not.toBe(prov.summary);
    expect(prov.summary).toContain('Indications:');
    expect(prov.summary).toContain('Risks the patient is told about:');
    expect(prov.summary).toMatch(/stenosis/i);
    expect(pat.summary).toContain('foramen');
    expect(pat.summary).not.toContain('Indications:');
    expect(provBody.feed.category).toContainEqual({ scheme: 'informationRecipient', term: 'PROV' });
  });

  test.each(['sp', 'es'])('Spanish (%s), which the library has not yet: an empty feed', async (language) => {
    const body = await json({ 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID, 'informationRecipient.languageCode.c': language });
    expect(readMedlinePlusJson(body)).toEqual([]);
  });

  test('an unknown code: an empty feed with 200, in JSON and Atom', async () => {
    const query = { 'mainSearchCriteria.v.c': '27447', 'mainSearchCriteria.v.cs': CPT_OID };
    expect(readMedlinePlusJson(await json(query))).toEqual([]);
    const atom = await infobutton(query);
    expect(atom.status).toBe(200);
    expect(await atom.text()).not.toContain('<entry');
  });

  test('unknown parameters are ignored', async () => {
    const entries = readMedlinePlusJson(
      await json({ 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID, 'patientPerson.administrativeGenderCode.c': 'F', 'age.v.v': '63', 'age.v.u': 'a', 'taskContext.c.c': 'PROBLISTREV', 'x-vendor': '1' }),
    );
    expect(entries).toHaveLength(1);
  });
});

describe('bad requests answer 400 with a readable OperationOutcome', () => {
  test.each([
    ['a malformed code system OID', { 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': '2.16.840.1.113883.6.12.' }, 'mainSearchCriteria.v.cs'],
    ['a code system that is neither OID nor URI', { 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': 'CPT' }, 'OID'],
    ['a code without its code system', { 'mainSearchCriteria.v.c': '63047' }, 'mainSearchCriteria.v.cs'],
    ['no search criterion', { informationRecipient: 'PAT' }, 'mainSearchCriteria'],
    ['JSONP callback', { 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID, callback: 'cb' }, 'JSONP'],
    ['an unknown recipient', { 'mainSearchCriteria.v.c': '63047', 'mainSearchCriteria.v.cs': CPT_OID, informationRecipient: 'ROBOT' }, 'informationRecipient'],
  ])('%s', async (_name, query, text) => {
    const res = await infobutton(query);
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0].diagnostics).toContain(text);
  });
});

describe('a site ConceptMap makes the infobutton match its codes', () => {
  test('added: the site code finds the handout; deleted: it no longer does', async () => {
    const SITE_OID = '1.2.840.114350.1.13.999.2.7.2.696580';
    const query = { 'mainSearchCriteria.v.c': 'SPINE-42', 'mainSearchCriteria.v.cs': SITE_OID };
    expect(readMedlinePlusJson(await json(query))).toEqual([]);
    const created = await server.fetch('/ConceptMap', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'ConceptMap',
        status: 'active',
        group: [{ source: `urn:oid:${SITE_OID}`, target: 'http://www.ama-assn.org/go/cpt', element: [{ code: 'SPINE-42', target: [{ code: '63047', equivalence: 'equivalent' }] }] }],
      }),
    });
    expect(created.status).toBe(201);
    expect(readMedlinePlusJson(await json(query)).map((e) => e.href)).toEqual([`${publicOrigin}/education/foraminotomy`]);
    await server.fetch(`/ConceptMap/${created.body.id}`, { method: 'DELETE' });
    expect(readMedlinePlusJson(await json(query))).toEqual([]);
  });
});

describe('with authorization on (the default)', () => {
  test('the responder answers without a token, as the public library does', async () => {
    const secured = await startTestServer({ env: { LOAD_CONTENT: 'true', AUTH: 'on' } });
    try {
      const securedOrigin = secured.base.replace(/\/fhir$/, '');
      const res = await fetch(`${securedOrigin}/infobutton?mainSearchCriteria.v.c=63047&mainSearchCriteria.v.cs=${CPT_OID}&knowledgeResponseType=application/json`);
      expect(res.status).toBe(200);
      expect(readMedlinePlusJson(await res.json())).toHaveLength(1);
    } finally {
      await secured.close();
    }
  });
});
