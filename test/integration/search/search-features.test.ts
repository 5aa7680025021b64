/**
 * The search API around the parameter types (R4 search.html): common parameters, full text,
 * chaining, _has, includes, sorting, counting, summaries, POST and system-level search,
 * handling of unknown and malformed parameters.
 */
import type { Bundle, Meta, Resource } from 'fhir/r4';
import { startTestServer, type TestServer } from '../../support/test-server';
import { expectClientError, link, matchIds, putAll, search } from './search-helpers';

const LIB_URL = 'http://example.org/fhir/Library/preop';
const SUBSETTED = 'SUBSETTED';
const enc = encodeURIComponent;

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function narrative(text: string) {
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${text}</p></div>` };
}

/*
 * PlanDefinition, DocumentReference and Questionnaire are held to our education profiles on
 * every write, so the generic behaviour is shown on types without such a profile (Library,
 * Measure, Media); docs/search-examples.md runs the same features on the real library.
 */
const fixtures: Resource[] = [
  { resourceType: 'Organization', id: 'org1', name: 'Acme Spine Clinic' } as Resource,
  { resourceType: 'Organization', id: 'org2', name: 'Other Hospital' } as Resource,
  { resourceType: 'Patient', id: 'pat1', name: [{ family: 'Alpha' }], birthDate: '1980-01-01', managingOrganization: { reference: 'Organization/org1' } } as Resource,
  { resourceType: 'Patient', id: 'pat2', name: [{ family: 'Beta' }], birthDate: '1970-05-05', managingOrganization: { reference: 'Organization/org2' } } as Resource,
  { resourceType: 'Patient', id: 'pat3', name: [{ family: 'Alpha' }], birthDate: '1990-01-01' } as Resource,
  { resourceType: 'Patient', id: 'pat0', name: [{ family: 'Alpha' }], birthDate: '1990-01-01' } as Resource,
  { resourceType: 'Patient', id: 'pat4', birthDate: '2000-01-01' } as Resource,
  {
    resourceType: 'Library',
    id: 'lib1',
    url: LIB_URL,
    version: '1.0',
    title: 'Pre-op questions',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'asset-collection' }] },
    text: narrative('Questions before surgery'),
    purpose: 'What the surgeon needs to know before surgery',
    content: [{ contentType: 'text/plain', data: b64('Do you smoke?') }],
  } as Resource,
  {
    resourceType: 'Library',
    id: 'lib2',
    title: 'Follow-up questions',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'asset-collection' }] },
  } as Resource,
  { resourceType: 'Measure', id: 'm1', status: 'active', library: [`${LIB_URL}|1.0`] } as Resource,
  {
    resourceType: 'Observation',
    id: 'obs1',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '72166-2' }] },
    subject: { reference: 'Patient/pat1' },
  } as Resource,
  { resourceType: 'Task', id: 'task1', status: 'requested', intent: 'order', focus: { reference: 'Library/lib1' }, for: { reference: 'Patient/pat1' } } as Resource,
  { resourceType: 'Task', id: 'task2', status: 'completed', intent: 'order', focus: { reference: 'Measure/m1' } } as Resource,
  { resourceType: 'Task', id: 'task3', status: 'draft', intent: 'order', focus: { reference: 'Library/lib2' } } as Resource,
  { resourceType: 'Task', id: 'task4', status: 'completed', intent: 'order', focus: { reference: 'Observation/obs1' } } as Resource,
  {
    resourceType: 'Patient',
    id: 'meta1',
    meta: {
      tag: [{ system: 'urn:tags', code: 'education' }],
      profile: ['http://example.org/fhir/StructureDefinition/special-patient'],
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
      source: 'urn:source:library',
    },
  } as Resource,
  { resourceType: 'Patient', id: 'meta2', meta: { tag: [{ system: 'urn:tags', code: 'other' }], source: 'urn:source:elsewhere' } } as Resource,
  {
    resourceType: 'Media',
    id: 'doc1',
    status: 'completed',
    text: narrative('Foraminal Stenosis: a narrowed nerve root opening'),
    content: { contentType: 'text/plain', data: b64('Surgery widens the opening.') },
  } as Resource,
  {
    resourceType: 'Media',
    id: 'doc2',
    status: 'completed',
    text: narrative('Recovery after surgery'),
    content: { contentType: 'text/plain', data: b64('Walk every day.') },
  } as Resource,
  {
    resourceType: 'Media',
    id: 'doc3',
    status: 'completed',
    text: narrative('Handout'),
    content: { contentType: 'text/html', data: b64('<p>The foramen is <b>narrowed</b> by bone spurs.</p>') },
  } as Resource,
];

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await putAll(server, fixtures);
});

afterAll(async () => {
  await server.close();
});

describe('common parameters', () => {
  test('_id takes a list of ids', async () => {
    expect((await matchIds(server, 'Patient?_id=pat1,pat2')).sort()).toEqual(['pat1', 'pat2']);
    expect(await matchIds(server, 'Patient?_id=nope')).toEqual([]);
  });

  test('_lastUpdated compares the instant of the last write with every prefix', async () => {
    const first = (await server.fetch('/Patient/pat1')).body.meta.lastUpdated as string;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await putAll(server, [{ resourceType: 'Patient', id: 'late1', name: [{ family: 'Late' }] } as Resource]);
    const late = (await server.fetch('/Patient/late1')).body.meta.lastUpdated as string;
    const ids = (q: string) => matchIds(server, `Patient?_id=pat1,late1&_lastUpdated=${enc(q)}`);
    expect((await ids(first)).sort()).toEqual(['pat1']);
    expect((await ids(`eq${late}`)).sort()).toEqual(['late1']);
    expect((await ids(`ne${first}`)).sort()).toEqual(['late1']);
    expect((await ids(`gt${first}`)).sort()).toEqual(['late1']);
    expect((await ids(`sa${first}`)).sort()).toEqual(['late1']);
    expect((await ids(`ge${first}`)).sort()).toEqual(['late1', 'pat1']);
    expect((await ids(`lt${late}`)).sort()).toEqual(['pat1']);
    expect((await ids(`eb${late}`)).sort()).toEqual(['pat1']);
    expect((await ids(`le${late}`)).sort()).toEqual(['late1', 'pat1']);
    expect((await ids(late.slice(0, 10))).sort()).toEqual(['late1', 'pat1']);
    expect((await ids(`lt${late.slice(0, 10)}`)).sort()).toEqual([]);
    expect((await ids(`ap${late}`)).sort()).toEqual(['late1', 'pat1']);
    expect(await ids('lt2000')).toEqual([]);
  });

  test('_tag, _profile, _security and _source search meta', async () => {
    expect(await matchIds(server, `Patient?_tag=${enc('urn:tags|education')}`)).toEqual(['meta1']);
    expect(await matchIds(server, 'Patient?_tag=education')).toEqual(['meta1']);
    expect(await matchIds(server, `Patient?_id=meta1,meta2&_tag:not=${enc('urn:tags|education')}`)).toEqual(['meta2']);
    expect(await matchIds(server, `Patient?_profile=${enc('http://example.org/fhir/StructureDefinition/special-patient')}`)).toEqual(['meta1']);
    expect(await matchIds(server, `Patient?_security=${enc('http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R')}`)).toEqual(['meta1']);
    expect(await matchIds(server, `Patient?_source=${enc('urn:source:library')}`)).toEqual(['meta1']);
    expect(await matchIds(server, `Patient?_id=meta1,meta2,pat1&_tag:missing=true`)).toEqual(['pat1']);
  });

  test('_text searches the narrative with English stemming', async () => {
    expect(await matchIds(server, 'Media?_text=stenosis')).toEqual(['doc1']);
    expect(await matchIds(server, 'Media?_text=STENOSIS')).toEqual(['doc1']);
    expect(await matchIds(server, 'Media?_text=narrowing')).toEqual(['doc1']);
    expect(await matchIds(server, 'Media?_text=bone')).toEqual([]);
    expect((await matchIds(server, 'Media?_text=surgery')).sort()).toEqual(['doc2']);
  });

  test('_content also searches attachments and every string of the resource', async () => {
    expect((await matchIds(server, 'Media?_content=narrowing')).sort()).toEqual(['doc1', 'doc3']);
    expect(await matchIds(server, 'Media?_content=spur')).toEqual(['doc3']);
    expect((await matchIds(server, 'Media?_content=surgery')).sort()).toEqual(['doc1', 'doc2']);
    expect((await matchIds(server, 'Media?_content=walk,spurs')).sort()).toEqual(['doc2', 'doc3']);
    expect(await matchIds(server, 'Media?_content=walk&_content=spurs')).toEqual([]);
    expect(await matchIds(server, `Media?_content=${enc('"nerve root"')}`)).toEqual(['doc1']);
  });
});

describe('chaining and reverse chaining', () => {
  test('chain with a type modifier', async () => {
    expect(await matchIds(server, 'Task?focus:Library.title=pre-op')).toEqual(['task1']);
    expect(await matchIds(server, 'Task?focus:Library.title=follow')).toEqual(['task3']);
  });

  test('chain without a type modifier searches every target that has the parameter', async () => {
    expect(await matchIds(server, 'Task?focus.title=pre-op')).toEqual(['task1']);
  });

  test('chain through a canonical reference (two levels)', async () => {
    expect(await matchIds(server, 'Task?focus:Measure.depends-on:Library.title=pre-op')).toEqual(['task2']);
    expect(await matchIds(server, 'Task?focus:Measure.depends-on:Library.title=follow')).toEqual([]);
  });

  test('three levels of chaining', async () => {
    expect(await matchIds(server, 'Task?focus:Observation.subject:Patient.organization.name=acme')).toEqual(['task4']);
    expect(await matchIds(server, 'Task?focus:Observation.subject:Patient.organization.name=other')).toEqual([]);
    expect((await matchIds(server, 'Patient?organization.name=acme,other')).sort()).toEqual(['pat1', 'pat2']);
  });

  test('a chained token and a chained _id', async () => {
    expect(await matchIds(server, 'Task?focus:Library.status=active&focus:Library._id=lib2')).toEqual(['task3']);
  });

  test('_has finds the resources referenced by matching ones', async () => {
    expect(await matchIds(server, 'Library?_has:Task:focus:status=requested')).toEqual(['lib1']);
    expect((await matchIds(server, 'Library?_has:Task:focus:status=requested,draft')).sort()).toEqual(['lib1', 'lib2']);
    expect(await matchIds(server, 'Patient?_has:Observation:subject:status=final')).toEqual(['pat1']);
    // through a canonical (Measure.library = url|version)
    expect(await matchIds(server, 'Library?_has:Measure:depends-on:status=active')).toEqual(['lib1']);
    // nested: patients with an observation that is the focus of a completed task
    expect(await matchIds(server, 'Patient?_has:Observation:subject:_has:Task:focus:status=completed')).toEqual(['pat1']);
    expect(await matchIds(server, 'Patient?_has:Observation:subject:_has:Task:focus:status=requested')).toEqual([]);
  });
});

describe('_include and _revinclude', () => {
  test('_include adds the referenced resources with search.mode include', async () => {
    const answer = await search(server, 'Task?_id=task1&_include=Task:focus');
    expect(answer.matches).toEqual(['Task/task1']);
    expect(answer.included).toEqual(['Library/lib1']);
    const entry = answer.bundle.entry!.find((e) => e.resource?.id === 'lib1')!;
    expect(entry.fullUrl).toBe(`${server.ctx.config.baseUrl}/Library/lib1`);
    expect(entry.search?.mode).toBe('include');
  });

  test('_include with a target type keeps only that type', async () => {
    expect((await search(server, 'Task?_id=task1&_include=Task:focus:Patient')).included).toEqual([]);
    expect((await search(server, 'Task?_id=task1&_include=Task:subject:Patient')).included).toEqual(['Patient/pat1']);
  });

  test('_include=* follows every reference parameter', async () => {
    expect((await search(server, 'Task?_id=task1&_include=*')).included.sort()).toEqual(['Library/lib1', 'Patient/pat1']);
    expect((await search(server, 'Task?_id=task1&_include=Task:*')).included.sort()).toEqual(['Library/lib1', 'Patient/pat1']);
  });

  test('_include through a canonical reference', async () => {
    expect((await search(server, 'Measure?_id=m1&_include=Measure:depends-on')).included).toEqual(['Library/lib1']);
  });

  test('_revinclude adds the resources that reference the matches', async () => {
    const answer = await search(server, 'Library?_id=lib1&_revinclude=Task:focus');
    expect(answer.matches).toEqual(['Library/lib1']);
    expect(answer.included).toEqual(['Task/task1']);
    expect((await search(server, 'Library?_id=lib1&_revinclude=Measure:depends-on')).included).toEqual(['Measure/m1']);
  });

  test('_revinclude=* adds every resource that references the matches, by reference or canonical', async () => {
    expect((await search(server, 'Library?_id=lib1&_revinclude=*')).included.sort()).toEqual(['Measure/m1', 'Task/task1']);
  });

  test(':iterate follows includes of included resources; without it they stop at the matches', async () => {
    const iterated = await search(
      server,
      'Task?_id=task4&_include=Task:focus&_include:iterate=Observation:subject&_include:iterate=Patient:organization',
    );
    expect(iterated.matches).toEqual(['Task/task4']);
    expect(iterated.included.sort()).toEqual(['Observation/obs1', 'Organization/org1', 'Patient/pat1']);
    const flat = await search(server, 'Task?_id=task4&_include=Task:focus&_include=Observation:subject&_include=Patient:organization');
    expect(flat.included).toEqual(['Observation/obs1']);
    const rev = await search(server, 'Organization?_id=org1&_revinclude=Patient:organization&_revinclude:iterate=Task:subject');
    expect(rev.included.sort()).toEqual(['Patient/pat1', 'Task/task1']);
  });

  test('_include follows only the page shown: not the row read to know there is a next page', async () => {
    // task1 -> Library/lib1, task2 -> Measure/m1; one Task per page.
    const first = await search(server, 'Task?_id=task1,task2&_include=Task:focus&_count=1');
    expect(first.matches).toEqual(['Task/task1']);
    expect(first.included).toEqual(['Library/lib1']);
    const second = await search(server, link(server, first.bundle, 'next')!);
    expect(second.matches).toEqual(['Task/task2']);
    expect(second.included).toEqual(['Measure/m1']);
    const back = await search(server, link(server, second.bundle, 'previous')!);
    expect(back.matches).toEqual(['Task/task1']);
    expect(back.included).toEqual(['Library/lib1']);
    const descending = await search(server, 'Task?_id=task1,task2&_include=Task:focus&_count=1&_sort=-_id');
    expect(descending.matches).toEqual(['Task/task2']);
    expect(descending.included).toEqual(['Measure/m1']);
  });

  test('a resource both matched and included appears once, as a match', async () => {
    const answer = await search(server, 'Task?_id=task1,task2&_include=Task:focus&_revinclude=Task:focus');
    expect(answer.matches.sort()).toEqual(['Task/task1', 'Task/task2']);
    expect(answer.included.sort()).toEqual(['Library/lib1', 'Measure/m1']);
  });
});

describe('_sort, _count and _total', () => {
  const ids = ['pat0', 'pat1', 'pat2', 'pat3', 'pat4'].join(',');

  test('several keys, - for descending, missing values last, ties broken by id in the direction of the last key', async () => {
    expect(await matchIds(server, `Patient?_id=${ids}&_sort=family,-birthdate`)).toEqual(['pat3', 'pat0', 'pat1', 'pat2', 'pat4']);
    expect(await matchIds(server, `Patient?_id=${ids}&_sort=family,birthdate`)).toEqual(['pat1', 'pat0', 'pat3', 'pat2', 'pat4']);
    expect((await matchIds(server, `Patient?_id=${ids}&_sort=-family`)).slice(0, 1)).toEqual(['pat2']);
    expect((await matchIds(server, `Patient?_id=${ids}&_sort=-family`)).slice(-1)).toEqual(['pat4']);
    expect(await matchIds(server, `Patient?_id=${ids}&_sort=birthdate`)).toEqual(['pat2', 'pat1', 'pat0', 'pat3', 'pat4']);
    expect(await matchIds(server, `Patient?_id=${ids}&_sort=-_id`)).toEqual(['pat4', 'pat3', 'pat2', 'pat1', 'pat0']);
    expect(await matchIds(server, `Patient?_id=${ids}&_sort=_id`)).toEqual(['pat0', 'pat1', 'pat2', 'pat3', 'pat4']);
  });

  test('_sort=_lastUpdated follows the order of writes', async () => {
    await putAll(server, [{ resourceType: 'Patient', id: 'pat3', name: [{ family: 'Alpha' }], birthDate: '1990-01-01', gender: 'female' } as Resource]);
    const order = await matchIds(server, `Patient?_id=${ids}&_sort=_lastUpdated`);
    expect(order[order.length - 1]).toBe('pat3');
    expect((await matchIds(server, `Patient?_id=${ids}&_sort=-_lastUpdated`))[0]).toBe('pat3');
  });

  test('_count limits the page; _total=accurate counts every match', async () => {
    const page = await search(server, `Patient?_id=${ids}&_count=2&_total=accurate`);
    expect(page.matches).toHaveLength(2);
    expect(page.bundle.total).toBe(5);
    expect(link(server, page.bundle, 'next')).toBeDefined();
  });

  test('_total=none leaves total out; estimate gives a number', async () => {
    expect((await search(server, `Patient?_id=${ids}&_total=none`)).bundle.total).toBeUndefined();
    expect(typeof (await search(server, `Patient?_id=${ids}&_count=1&_total=estimate`)).bundle.total).toBe('number');
  });

  test('_count=0 returns no entries but can still count', async () => {
    const page = await search(server, `Patient?_id=${ids}&_count=0&_total=accurate`);
    expect(page.matches).toEqual([]);
    expect(page.bundle.total).toBe(5);
  });

  test('_count above the maximum is capped', async () => {
    const page = await search(server, 'Patient?_count=100000');
    expect(link(server, page.bundle, 'self')).toContain(`_count=${server.ctx.config.maxPageSize}`);
  });
});

describe('_summary and _elements', () => {
  const lib1 = async (query: string) => (await search(server, `Library?_id=lib1&${query}`)).bundle.entry![0].resource as Resource & Record<string, unknown>;
  const subsetted = (r: { meta?: Meta }) => (r.meta?.tag ?? []).some((t) => t.code === SUBSETTED);

  test('_summary=true keeps the summary elements', async () => {
    const r = await lib1('_summary=true');
    expect(r.title).toBe('Pre-op questions');
    expect(r.url).toBe(LIB_URL);
    expect(r.purpose).toBeUndefined();
    expect(r.text).toBeUndefined();
    expect(subsetted(r)).toBe(true);
  });

  test('_summary=text keeps the narrative and the mandatory elements', async () => {
    const r = await lib1('_summary=text');
    expect(r.text).toBeDefined();
    expect(r.status).toBe('active');
    expect(r.type).toBeDefined();
    expect(r.title).toBeUndefined();
    expect(r.purpose).toBeUndefined();
  });

  test('_summary=data drops the narrative only', async () => {
    const r = await lib1('_summary=data');
    expect(r.text).toBeUndefined();
    expect(r.purpose).toBeDefined();
    expect(r.title).toBeDefined();
  });

  test('_summary=false is the whole resource', async () => {
    const r = await lib1('_summary=false');
    expect(r.text).toBeDefined();
    expect(r.purpose).toBeDefined();
    expect(subsetted(r)).toBe(false);
  });

  test('_summary=count answers the total and no entries', async () => {
    const answer = await search(server, 'Patient?_id=pat1,pat2,pat3&_summary=count');
    expect(answer.bundle.total).toBe(3);
    expect(answer.matches).toEqual([]);
  });

  test('_elements keeps the listed and the mandatory elements', async () => {
    const r = await lib1('_elements=title');
    expect(r.title).toBe('Pre-op questions');
    expect(r.status).toBe('active');
    expect(r.id).toBe('lib1');
    expect(r.purpose).toBeUndefined();
    expect(r.url).toBeUndefined();
    expect(subsetted(r)).toBe(true);
    const both = await lib1('_elements=title,purpose');
    expect(both.purpose).toBeDefined();
  });
});

describe('search by POST and across types', () => {
  test('POST [type]/_search takes the parameters form-encoded', async () => {
    const answer = await search(server, 'Patient/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'family=alpha&_sort=_id&birthdate=ge1985',
    });
    expect(answer.matches).toEqual(['Patient/pat0', 'Patient/pat3']);
    const self = link(server, answer.bundle, 'self')!;
    expect(self.startsWith('/Patient?')).toBe(true);
    expect(await matchIds(server, self)).toEqual(['pat0', 'pat3']);
  });

  test('POST _search combines URL and body parameters', async () => {
    const answer = await search(server, 'Patient/_search?family=alpha', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '_id=pat1,pat2',
    });
    expect(answer.matches).toEqual(['Patient/pat1']);
  });

  test('GET [base]?_type= searches several types', async () => {
    const answer = await search(server, '?_type=Patient,Library&_id=pat1,lib1,task1');
    expect(answer.matches.sort()).toEqual(['Library/lib1', 'Patient/pat1']);
    const tagged = await search(server, `?_type=Patient,Library&_lastUpdated=gt2000&_id=pat2,lib2`);
    expect(tagged.matches.sort()).toEqual(['Library/lib2', 'Patient/pat2']);
  });
});

describe('unknown and malformed parameters', () => {
  test('an unknown parameter is ignored and reported in an outcome entry', async () => {
    const answer = await search(server, 'Patient?_id=pat1&foo=bar');
    expect(answer.matches).toEqual(['Patient/pat1']);
    expect(answer.outcomes).toHaveLength(1);
    expect(JSON.stringify(answer.outcomes[0].resource)).toContain('foo');
    expect(link(server, answer.bundle, 'self')).not.toContain('foo');
  });

  test('with Prefer: handling=strict, an unknown parameter is a 400 naming it', async () => {
    const text = await expectClientError(server, 'Patient?_id=pat1&foo=bar', 400, { headers: { prefer: 'handling=strict' } });
    expect(text).toContain('foo');
    const chained = await expectClientError(server, 'Task?focus:Library.nonsense=1', 400, { headers: { prefer: 'handling=strict' } });
    expect(chained).toContain('nonsense');
  });

  test('with Prefer: handling=lenient (the default) the search goes on', async () => {
    const answer = await search(server, 'Patient?_id=pat1&foo=bar', { headers: { prefer: 'handling=lenient' } });
    expect(answer.matches).toEqual(['Patient/pat1']);
  });

  test('empty parameters are ignored, not an error (R4 search.html)', async () => {
    const all = await matchIds(server, 'Patient?_id=pat1,pat2');
    expect((await matchIds(server, 'Patient?_id=pat1,pat2&family=')).sort()).toEqual(all.sort());
    expect((await matchIds(server, 'Patient?_id=pat1,pat2&family=,&_count=')).sort()).toEqual(all.sort());
    expect(await matchIds(server, 'Patient?_id=pat1,pat2&family=,,beta,')).toEqual(['pat2']);
    expect((await matchIds(server, 'Patient?_id=pat1,pat2&family=')).sort()).toEqual(all.sort());
    const strict = await server.fetch('/Patient?_id=pat1&family=', { headers: { prefer: 'handling=strict' } });
    expect(strict.status).toBe(200);
  });

  const malformed = [
    'Patient?birthdate=2024-13-01',
    'Patient?birthdate=2024-02-30',
    'Patient?birthdate=xx2024',
    'Patient?birthdate=gt',
    'Patient?birthdate=yesterday',
    'Patient?birthdate=2024-01-01T25:00Z',
    'Patient?_lastUpdated=noon',
    'RiskAssessment?probability=abc',
    'RiskAssessment?probability=xx5',
    'RiskAssessment?probability=1e999',
    'RiskAssessment?probability=5.',
    `Observation?value-quantity=${enc('5|kg')}`,
    'Patient?_count=-1',
    'Patient?_count=ten',
    'Patient?_total=maybe',
    'Patient?_summary=short',
    'Patient?_sort=nonexistent',
    'Patient?_include=Nonsense:focus',
    'Patient?_include=Patient:nonsense',
    'Patient?family:fuzzy=x',
    'Patient?gender:below=x',
    'Patient?birthdate:exact=2000',
    'Patient?gender:missing=maybe',
    'Patient?organization:Nonsense=1',
    'Patient?organization=not a reference!',
    'Patient?_cursor=garbage',
    `PlanDefinition?context-type-value=nodollar`,
    'Patient?_has:Nonsense:subject:status=x',
    'Patient?_has:broken=1',
    'Patient?_elements=na-me',
  ];
  test.each(malformed)('%s is a 400 OperationOutcome', async (query) => {
    await expectClientError(server, query);
  });
});

describe('searchset Bundle', () => {
  test('self link shows the parameters actually applied, and works when followed', async () => {
    const answer = await search(server, 'Patient?family=alpha&_sort=_id&bogus=1');
    const self = link(server, answer.bundle, 'self')!;
    expect(self).toContain('family=alpha');
    expect(self).toContain('_sort=_id');
    expect(self).not.toContain('bogus');
    expect((await search(server, self)).matches).toEqual(answer.matches);
  });

  test('a small result carries its total; entries carry fullUrl and search.mode', async () => {
    const bundle: Bundle = (await search(server, 'Patient?family=beta')).bundle;
    expect(bundle.type).toBe('searchset');
    expect(bundle.total).toBe(1);
    expect(bundle.entry![0].fullUrl).toBe(`${server.ctx.config.baseUrl}/Patient/pat2`);
    expect(bundle.entry![0].search?.mode).toBe('match');
  });
});

test('date ap: within 10% of the distance from now', async () => {
  const day = 86_400_000;
  const at = (daysAgo: number) => new Date(Date.now() - daysAgo * day).toISOString().slice(0, 10);
  await putAll(server, [
    { resourceType: 'Patient', id: 'ap-95', birthDate: at(95) } as Resource,
    { resourceType: 'Patient', id: 'ap-105', birthDate: at(105) } as Resource,
    { resourceType: 'Patient', id: 'ap-130', birthDate: at(130) } as Resource,
    { resourceType: 'Patient', id: 'ap-70', birthDate: at(70) } as Resource,
  ]);
  const found = await matchIds(server, `Patient?_id=ap-95,ap-105,ap-130,ap-70&birthdate=ap${at(100)}`);
  expect(found.sort()).toEqual(['ap-105', 'ap-95']);
});

test('a choice element typed with `as` in an R4 expression is searched on every item (context, deceased)', async () => {
  // R4's `(Library.useContext.value as CodeableConcept)` raises an error on two useContexts in
  // FHIRPath; the server evaluates it as R5 writes it, with ofType(), so each item counts.
  await putAll(server, [
    {
      resourceType: 'Library',
      id: 'two-contexts',
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'asset-collection' }] },
      useContext: [
        { code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'focus' }, valueCodeableConcept: { coding: [{ system: 'urn:test:focus', code: 'spine' }] } },
        { code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'age' }, valueQuantity: { value: 50, system: 'http://unitsofmeasure.org', code: 'a' } },
        { code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'focus' }, valueCodeableConcept: { coding: [{ system: 'urn:test:focus', code: 'neck' }] } },
      ],
    } as Resource,
    { resourceType: 'Patient', id: 'deceased-on', deceasedDateTime: '2021-03-04' } as Resource,
    { resourceType: 'Patient', id: 'deceased-flag', deceasedBoolean: true } as Resource,
  ]);
  expect(await matchIds(server, `Library?context=${enc('urn:test:focus|neck')}`)).toEqual(['two-contexts']);
  expect(await matchIds(server, 'Library?context=spine')).toEqual(['two-contexts']);
  expect(await matchIds(server, `Library?context-quantity=${enc('50||a')}`)).toEqual(['two-contexts']);
  expect(await matchIds(server, 'Library?context=hip')).toEqual([]);
  expect(await matchIds(server, 'Patient?_id=deceased-on,deceased-flag&death-date=2021-03')).toEqual(['deceased-on']);
});
