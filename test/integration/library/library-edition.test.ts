import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentReference, PlanDefinition, PlanDefinitionAction, Questionnaire, QuestionnaireItem } from 'fhir/r4';
import { fleschKincaidGrade } from '../../../src/fhir/readability';
import { shingles } from '../../support/source-shingles';
import { startTestServer, type TestServer } from '../../support/test-server';

/**
 * The foraminotomy library as a clinician reviews it, read over HTTP: every procedure code that
 * names foraminotomy finds it, its texts read at grade 8 or below, say every fact of the source
 * in words of their own, credit the source truthfully, and carry standard document types.
 */
const BASE = 'https://patient-education.dev/fhir';
const CPT = 'http://www.ama-assn.org/go/cpt';
const PCS = 'http://www.cms.gov/Medicare/Coding/ICD10';
const SECTION = `${BASE}/CodeSystem/education-section`;
const SOURCE_URL = 'https://medlineplus.gov/ency/article/007390.htm';
const ROOT = join(__dirname, '..', '..', '..');

const CODES: [string, string][] = [
  ...['63020', '63030', '63035', '63040', '63042', '63043', '63044', '62380', '63045', '63046', '63047', '63048', '63052', '63053'].map(
    (c): [string, string] => [CPT, c],
  ),
  ...['01N10ZZ', '01N14ZZ', '01N80ZZ', '01N84ZZ', '01NB0ZZ', '01NB4ZZ'].map((c): [string, string] => [PCS, c]),
];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { LOAD_CONTENT: 'true' } });
});
afterAll(async () => {
  await server.close();
});

async function search<T>(query: string): Promise<T[]> {
  const res = await server.fetch(query);
  expect(res.status).toBe(200);
  return (res.body.entry ?? [])
    .filter((e: { search?: { mode?: string } }) => e.search?.mode === 'match')
    .map((e: { resource: T }) => e.resource);
}

const q = (s: string) => encodeURIComponent(s);
const plainText = (doc: DocumentReference): string => {
  const attachment = doc.content.find((c) => c.attachment.contentType === 'text/plain')!.attachment;
  return Buffer.from(attachment.data!, 'base64').toString('utf8');
};
const documents = () => search<DocumentReference>('/DocumentReference?_count=50');
const sectionOf = (doc: DocumentReference) => doc.type!.coding!.find((c) => c.system === SECTION)!.code!;
const allActions = (actions: PlanDefinitionAction[] = []): PlanDefinitionAction[] =>
  actions.flatMap((a) => [a, ...allActions(a.action)]);
const allItems = (items: QuestionnaireItem[] = []): QuestionnaireItem[] => items.flatMap((i) => [i, ...allItems(i.item)]);

describe('every procedure code whose descriptor names foraminotomy finds the library', () => {
  test.each(CODES)('%s|%s finds the handout, the plan and the questionnaire', async (system, code) => {
    const token = q(`${system}|${code}`);
    const handout = await search<DocumentReference>(`/DocumentReference?procedure=${token}&type=${q(`${SECTION}|handout`)}`);
    expect(handout.map((d) => d.id)).toEqual(['foraminotomy-handout']);
    expect((await search<PlanDefinition>(`/PlanDefinition?procedure=${token}`)).map((p) => p.id)).toEqual(['foraminotomy']);
    expect((await search<Questionnaire>(`/Questionnaire?procedure=${token}`)).map((x) => x.id)).toEqual(['foraminotomy-preop']);
  });

  test('every section carries every code in context.event, and the ValueSet and ConceptMap hold them all', async () => {
    const key = ([s, c]: [string, string]) => `${s}|${c}`;
    for (const doc of await documents()) {
      const events = (doc.context?.event ?? []).flatMap((e) => e.coding ?? []).map((c) => `${c.system}|${c.code}`);
      expect([...events].sort()).toEqual(CODES.map(key).sort());
    }
    const [vs] = await search<{ compose: { include: { system: string; concept: { code: string }[] }[] } }>(
      `/ValueSet?url=${q(`${BASE}/ValueSet/foraminotomy-procedure`)}`,
    );
    const members = vs.compose.include.flatMap((i) => i.concept.map((c) => `${i.system}|${c.code}`));
    expect([...members].sort()).toEqual(CODES.map(key).sort());
    const [cm] = await search<{ group: { source: string; element: { code: string }[] }[] }>(
      `/ConceptMap?url=${q(`${BASE}/ConceptMap/foraminotomy-procedure-codes`)}`,
    );
    const mapped = cm.group.flatMap((g) => g.element.map((e) => `${g.source}|${e.code}`));
    expect([...mapped].sort()).toEqual(CODES.map(key).sort());
  });

  test('the neck-collar condition names the cervical ValueSet instead of repeating codes', async () => {
    const [plan] = await search<PlanDefinition>('/PlanDefinition?_id=foraminotomy');
    const collar = allActions(plan.action).find((a) => a.id === 'after-soft-neck-collar')!;
    const expression = collar.condition![0].expression!.expression!;
    expect(expression).toBe(`%order.code.memberOf('${BASE}/ValueSet/foraminotomy-cervical-procedure')`);
    for (const action of allActions(plan.action))
      for (const c of action.condition ?? []) expect(c.expression?.expression).not.toMatch(/6\d{4}|01N/);
    const [cervical] = await search<{ compose: { include: { system: string; concept: { code: string }[] }[] } }>(
      `/ValueSet?url=${q(`${BASE}/ValueSet/foraminotomy-cervical-procedure`)}`,
    );
    expect(cervical.compose.include.flatMap((i) => i.concept.map((c) => c.code))).toEqual([
      '63020',
      '63040',
      '63043',
      '63045',
      '01N10ZZ',
      '01N14ZZ',
    ]);
  });
});

describe('plain language and faithful to the source', () => {
  test('every section reads at Flesch-Kincaid grade 8 or below (its whole plain text, Source line included)', async () => {
    const docs = await documents();
    expect(docs).toHaveLength(9);
    const grades = Object.fromEntries(docs.map((d) => [sectionOf(d), Math.round(fleschKincaidGrade(plainText(d)) * 10) / 10]));
    for (const [section, grade] of Object.entries(grades)) expect({ section, grade, ok: grade <= 8 }).toEqual({ section, grade, ok: true });
  });

  test('no run of 7 words of the source is copied into any text of the library (name lists aside)', async () => {
    const fingerprint = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/source-shingles.json'), 'utf8')) as { hashes: string[] };
    const source = new Set(fingerprint.hashes);
    const [plan] = await search<PlanDefinition>('/PlanDefinition?_id=foraminotomy');
    const [questionnaire] = await search<Questionnaire>('/Questionnaire?_id=foraminotomy-preop');
    const texts = [
      ...(await documents()).map(plainText),
      ...allActions(plan.action).map((a) => `${a.title}. ${a.description}`),
      ...allItems(questionnaire.item).map((i) => i.text ?? ''),
    ];
    const copied = texts.flatMap((t) => [...shingles(t)].filter(([hash]) => source.has(hash)).map(([, run]) => run));
    expect(copied).toEqual([]);
  });

  test('the handout states every fact of the source', async () => {
    const [handout] = await search<DocumentReference>('/DocumentReference?_id=foraminotomy-handout');
    const text = plainText(handout);
    const facts: RegExp[] = [
      /makes an opening in the spine larger\. This opening is called the foramen/, /foraminal stenosis/,
      /pressure off the nerve/, /your pain should ease/, /any level of the spine/, /general anesthesia/,
      /lying face down, or sitting up/, /center of the back of your spine/, /back of your neck/, /longer cut/,
      /skin, muscles, and ligaments/, /surgical microscope/, /cuts or shaves away some bone/, /fragments\) of disk/,
      /laminotomy or a laminectomy/, /spinal fusion\) so that your spine stays steady/, /closed with stitches/,
      /neural foramina/, /foraminal spinal stenosis/, /severe and get in the way of your daily life/,
      /lower back, thigh, calf, shoulder, arms, or hands/, /deep and does not let up/, /some activities or move your body/,
      /Numbness, tingling, and weak muscles/, /walking or holding/, /reaction to medicines/, /breathing/, /Bleeding/,
      /Blood clots/, /Infection/, /wound or in the bones of the spine/, /weakness, pain, or loss of feeling/,
      /unstable\. You might then need another operation/, /partly better .* or it may not get better at all/,
      /Back pain may come back/, /MRI or a CT scan/, /injection\) into the nerve/, /pregnant/, /street \(illicit\) drugs/,
      /supplements or herbs/, /more than 1 or 2 alcoholic drinks per day/, /diabetes, heart disease, or another health problem/,
      /provider who cares for that problem/, /If you smoke, cut down or stop/, /healing slower/, /help you quit/,
      /set up your home/, /drive you home/, /stop some medicines for a short time/, /blood thinners/,
      /aspirin, ibuprofen \(Advil, Motrin\), naproxen \(Aleve, Naprosyn\), and vitamin E/, /prescription medicines thin the blood/,
      /OK to take on the day of surgery/, /COVID-19, a cold, the flu, a fever, a herpes breakout/, /moved to a later date/,
      /Stop eating and drinking at the time your care team tells you/, /small sip of water/, /not late/,
      /soft neck collar/, /move your neck/, /Within 2 hours/, /sit up and get out of bed/, /day after their surgery/,
      /wound and your back/, /1 to 2 weeks/, /light work after 4 weeks/, /fully or in part/, /new spine problems later/,
      /just above and just below the fusion/, /more than one other kind of surgery/,
      /Intervertebral foramina/, /Spine surgery - foraminotomy/, /Back pain - foraminotomy/, /Stenosis - foraminotomy/,
    ];
    expect(facts.filter((fact) => !fact.test(text)).map(String)).toEqual([]);
  });

  test('words the source does not say are gone; the list of names is labelled as names and related terms', async () => {
    const docs = await documents();
    const byType = Object.fromEntries(docs.map((d) => [sectionOf(d), plainText(d)]));
    expect(byType['day-of-surgery']).not.toMatch(/\bonly\b/);
    expect(byType.procedure).toContain('If the surgery is on your neck, the cut is on the back of your neck.');
    for (const section of ['overview', 'handout']) {
      expect(byType[section]).toContain('Other names and related terms');
      expect(byType[section]).not.toContain('Other names for this surgery');
    }
    const [plan] = await search<PlanDefinition>('/PlanDefinition?_id=foraminotomy');
    expect(plan.text!.div).toContain('<h3>Other names and related terms</h3>');
    for (const action of allActions(plan.action)) expect(action.description).not.toMatch(/\bonly the\b|Not everyone/);
    for (const doc of docs) expect(doc.description).not.toContain('?.');
  });
});

describe('attribution, document types and profiles', () => {
  test('our publisher is the author with our own dates; the source is credited in relatedArtifact and the Source line', async () => {
    const [plan] = await search<PlanDefinition>('/PlanDefinition?_id=foraminotomy');
    expect(plan.author).toEqual([{ name: plan.publisher, telecom: [{ system: 'url', value: 'https://patient-education.dev' }] }]);
    expect(plan.reviewer).toBeUndefined();
    expect(plan.approvalDate).toBe(plan.date);
    expect(plan.lastReviewDate).toBe(plan.date);
    expect(plan.date).not.toBe('2024-11-07');
    const citation = plan.relatedArtifact!.find((r) => r.type === 'citation')!;
    expect(citation).toMatchObject({ url: SOURCE_URL, citation: expect.stringContaining('Review date 2024-11-07') });
    for (const doc of await documents()) {
      const lines = plainText(doc).trim().split('\n');
      expect(lines[lines.length - 1]).toMatch(/^Source: the MedlinePlus page "Foraminotomy" by A\.D\.A\.M\..*2024-11-07.*007390\.htm$/);
      // The source's physicians and editors are named in the citation only, not as our authors or in our text.
      expect(plainText(doc)).not.toMatch(/Dugdale|Conaway|Benjamin Ma/);
      expect(doc.date).not.toContain('2024-11-07');
    }
  });

  test('DocumentReference.type: LOINC 34895-3 Education note first, our section code second, and type= by section still works', async () => {
    for (const doc of await documents())
      expect(doc.type!.coding!.map((c) => c.system)).toEqual(['http://loinc.org', SECTION]);
    expect((await search<DocumentReference>('/DocumentReference?type=http://loinc.org|34895-3&_count=50'))).toHaveLength(9);
    expect((await search<DocumentReference>(`/DocumentReference?type=${q(`${SECTION}|outlook`)}`)).map((d) => d.id)).toEqual([
      'foraminotomy-outlook',
    ]);
  });

  test('one display text per code in every library resource', async () => {
    const types = ['PlanDefinition', 'Questionnaire', 'DocumentReference', 'ValueSet', 'ConceptMap', 'CodeSystem'];
    const displays = new Map<string, Set<string>>();
    const note = (system: unknown, code: unknown, display: unknown) => {
      if (typeof system !== 'string' || typeof code !== 'string' || typeof display !== 'string') return;
      const key = `${system}|${code}`;
      displays.set(key, (displays.get(key) ?? new Set()).add(display));
    };
    const walk = (node: unknown, system?: string): void => {
      if (Array.isArray(node)) return node.forEach((n) => walk(n, system));
      if (typeof node !== 'object' || node === null) return;
      const o = node as Record<string, unknown>;
      note(o.system ?? system, o.code, o.display);
      const inner = typeof o.system === 'string' ? o.system : system;
      for (const [k, v] of Object.entries(o)) walk(v, k === 'target' ? undefined : inner);
    };
    for (const type of types) for (const r of await search<unknown>(`/${type}?_count=200`)) walk(r);
    const conflicting = [...displays].filter(([, set]) => set.size > 1).map(([key, set]) => `${key}: ${[...set].join(' / ')}`);
    expect(conflicting).toEqual([]);
    expect(displays.get(`${CPT}|63048`)?.size).toBe(1);
  });

  test('every library file in content/ claims its profile and passes $validate against it', async () => {
    const files = readdirSync(join(ROOT, 'content')).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(13);
    for (const file of files) {
      const resource = JSON.parse(readFileSync(join(ROOT, 'content', file), 'utf8'));
      const profiles: string[] = resource.meta?.profile ?? [];
      expect({ file, profiles: profiles.length }).toEqual({ file, profiles: 1 });
      const res = await server.fetch(`/${resource.resourceType}/$validate?profile=${q(profiles[0])}`, {
        method: 'POST',
        body: JSON.stringify(resource),
      });
      const errors = (res.body.issue ?? []).filter((i: { severity: string }) => i.severity === 'error' || i.severity === 'fatal');
      expect({ file, errors }).toEqual({ file, errors: [] });
    }
  });
});
