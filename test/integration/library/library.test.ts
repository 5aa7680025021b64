import { startTestServer, type TestServer } from '../../support/test-server';

const BASE = 'https://patient-education.dev/fhir';
const CPT = 'http://www.ama-assn.org/go/cpt';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const SECTION = `${BASE}/CodeSystem/education-section`;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
});
afterAll(async () => {
  await server.close();
});

const search = async (query: string) => {
  const res = await server.fetch(query);
  expect(res.status).toBe(200);
  expect(res.body.resourceType).toBe('Bundle');
  return (res.body.entry ?? []).filter((e: any) => e.search?.mode !== 'outcome').map((e: any) => e.resource);
};

/** Every action of a PlanDefinition, flattened. */
const actions = (pd: any): any[] => (pd.action ?? []).flatMap((a: any) => [a, ...actions(a)]);
const items = (q: any): any[] => (q.item ?? []).flatMap((i: any) => [i, ...items(i)]);

describe('the three questions of an EHR, one query each', () => {
  test.each([
    ['CPT lumbar', `${CPT}|63047`],
    ['CPT cervical', `${CPT}|63045`],
    ['ICD-10-PCS lumbar release', `${PCS}|01NB0ZZ`],
  ])('the complete handout for a %s code', async (_name, code) => {
    const docs = await search(`/DocumentReference?procedure=${encodeURIComponent(code)}&type=${encodeURIComponent(`${SECTION}|handout`)}`);
    expect(docs).toHaveLength(1);
    expect(docs[0].id).toBe('foraminotomy-handout');
    expect(docs[0].content.map((c: any) => c.attachment.contentType).sort()).toEqual(['application/pdf', 'text/html', 'text/plain']);
  });

  test('the risks section for the procedure', async () => {
    const docs = await search(`/DocumentReference?procedure=${encodeURIComponent(`${CPT}|63047`)}&type=risks`);
    expect(docs.map((d: any) => d.id)).toEqual(['foraminotomy-risks']);
  });

  test('the pre-op questionnaire for the procedure', async () => {
    const qs = await search(`/Questionnaire?procedure=${encodeURIComponent(`${CPT}|63046`)}`);
    expect(qs.map((q: any) => q.id)).toEqual(['foraminotomy-preop']);
  });

  test('the preparation steps: the plan and its questionnaire in one query', async () => {
    const res = await server.fetch(`/PlanDefinition?procedure=${encodeURIComponent(`${CPT}|63047`)}&_include=PlanDefinition:depends-on`);
    const byMode = (mode: string) => res.body.entry.filter((e: any) => e.search.mode === mode).map((e: any) => e.resource.id);
    expect(byMode('match')).toEqual(['foraminotomy']);
    expect(byMode('include')).toContain('foraminotomy-preop');
  });

  test('every section is one document with its own type: LOINC Education note first, our section code second', async () => {
    const docs = await search(`/DocumentReference?procedure=${encodeURIComponent(`${CPT}|63048`)}&_count=50`);
    for (const d of docs) expect(d.type.coding[0]).toEqual({ system: 'http://loinc.org', code: '34895-3', display: 'Education note' });
    const types = docs.map((d: any) => d.type.coding[1].code).sort();
    expect(types).toEqual(['day-of-surgery', 'handout', 'indications', 'outlook', 'overview', 'preparation', 'procedure', 'recovery', 'risks']);
  });
});

describe('faithfulness: every fact of the source is a structured item found through search', () => {
  test('the risks list: five general and five foraminotomy-specific risks, in one query', async () => {
    const [cs] = await search(`/CodeSystem?url=${encodeURIComponent(`${BASE}/CodeSystem/procedure-risk`)}`);
    const group = (code: string) => cs.concept.find((c: any) => c.code === code).concept.map((c: any) => c.code);
    expect(group('foraminotomy-specific')).toEqual([
      'wound-or-vertebral-infection',
      'spinal-nerve-damage',
      'spinal-instability',
      'incomplete-pain-relief',
      'back-pain-return',
    ]);
    expect(group('general')).toEqual(['medicine-reaction', 'breathing-problems', 'bleeding', 'blood-clots', 'infection']);
  });

  test('the blood thinners the source names, plus prescription ones, are answer options', async () => {
    const [q] = await search(`/Questionnaire?url=${encodeURIComponent(`${BASE}/Questionnaire/foraminotomy-preop`)}`);
    const thinners = items(q).find((i: any) => i.linkId === 'blood-thinners');
    const codes = thinners.answerOption.map((o: any) => o.valueCoding.code);
    expect(codes).toEqual(expect.arrayContaining(['aspirin', 'ibuprofen', 'naproxen', 'vitamin-e', 'prescription-blood-thinner']));
    expect(thinners.repeats).toBe(true);
    const display = thinners.answerOption.map((o: any) => o.valueCoding.display).join(' ');
    for (const brand of ['Advil', 'Motrin', 'Aleve', 'Naprosyn']) expect(display).toContain(brand);
  });

  test('the illnesses to report are answer options: COVID-19, cold, flu, fever, herpes breakout', async () => {
    const [q] = await search('/Questionnaire?_id=foraminotomy-preop');
    const illnesses = items(q).find((i: any) => i.linkId === 'illnesses');
    expect(illnesses.answerOption.map((o: any) => o.valueCoding.code)).toEqual(
      expect.arrayContaining(['covid-19', 'cold', 'flu', 'fever', 'herpes-breakout']),
    );
  });

  test('the timings: sit up within 2 hours, drive after 1-2 weeks, light work after 4 weeks, home the next day', async () => {
    const [pd] = await search(`/PlanDefinition?procedure=${encodeURIComponent(`${CPT}|63047`)}`);
    const all = actions(pd);
    const byId = (id: string) => all.find((a: any) => a.id === id);
    expect(byId('after-sit-up').timingRange.high).toMatchObject({ value: 2, code: 'h' });
    expect(byId('after-driving').timingRange).toMatchObject({ low: { value: 1, code: 'wk' }, high: { value: 2, code: 'wk' } });
    expect(byId('after-light-work').timingDuration).toMatchObject({ value: 4, code: 'wk' });
    expect(byId('after-go-home').timingDuration).toMatchObject({ value: 1, code: 'd' });
  });

  test('alcohol above 1-2 drinks a day, pregnancy, medicines including illicit drugs, supplements and herbs are asked', async () => {
    const [q] = await search('/Questionnaire?_id=foraminotomy-preop');
    const linkIds = items(q).map((i: any) => i.linkId);
    expect(linkIds).toEqual(expect.arrayContaining(['pregnant', 'alcohol', 'medicines', 'diabetes', 'heart-disease', 'smoking', 'ride-home', 'home-prepared']));
    expect(items(q).find((i: any) => i.linkId === 'alcohol').text).toMatch(/1 or 2|1-2|one or two/i);
    const kinds = items(q).find((i: any) => i.linkId === 'medicine-kind').answerOption.map((o: any) => o.valueCoding.code);
    expect(kinds).toEqual(expect.arrayContaining(['illicit-drug', 'supplement', 'herb']));
  });

  test('full-text search finds the library by its words, stemmed', async () => {
    const stenosis = await search('/DocumentReference?_content=stenosis');
    expect(stenosis.length).toBeGreaterThan(0);
    const narrowing = await search('/DocumentReference?_content=narrowing');
    expect(narrowing.map((d: any) => d.id)).toContain('foraminotomy-overview');
    const naproxen = await search('/DocumentReference?_content=naproxen');
    expect(naproxen.map((d: any) => d.id)).toContain('foraminotomy-preparation');
  });

  test('the alternative names of the source find the plan', async () => {
    for (const name of ['Intervertebral foramina', 'Back pain - foraminotomy']) {
      const found = await search(`/PlanDefinition?_content=${encodeURIComponent(name)}`);
      expect(found.map((p: any) => p.id)).toContain('foraminotomy');
    }
  });

  test('every resource cites the source article', async () => {
    const docs = await search('/DocumentReference?_count=50');
    for (const d of docs) expect(JSON.stringify(d)).toContain('https://medlineplus.gov/ency/article/007390.htm');
    const [pd] = await search('/PlanDefinition?_id=foraminotomy');
    expect(pd.relatedArtifact.some((r: any) => r.type === 'citation' && r.url === 'https://medlineplus.gov/ency/article/007390.htm')).toBe(true);
  });
});

describe('loading', () => {
  test('loading the library again leaves every version at 1', async () => {
    const { loadStartupContent, readStartupContent } = await import('../../../src/content/load-startup-content');
    const items = await readStartupContent([server.ctx.config.profilesDir, server.ctx.config.contentDir]);
    const summary = await loadStartupContent(server.ctx, items);
    expect(summary.created).toBe(0);
    expect(summary.updated).toBe(0);
    expect(summary.rejected).toEqual([]);
    expect(summary.unchanged).toBe(items.length);
    for (const type of ['PlanDefinition', 'DocumentReference', 'Questionnaire', 'StructureDefinition', 'ValueSet']) {
      const found = await search(`/${type}?_count=100`);
      expect(found.length).toBeGreaterThan(0);
      for (const r of found) expect(r.meta.versionId).toBe('1');
    }
  });
});
