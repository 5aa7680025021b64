/**
 * The benchmark's queries, each a list of request paths that vary the id, code,
 * word or owner from one request to the next. The same paths go to our server and to the
 * floor; only the paging query differs, since each server hands out its own `next` links.
 */
import {
  CPT,
  SECTION_SYSTEM,
  SNOMED,
  patientId,
  patientShape,
  practitionerId,
  procedureFacts,
  questionnaireTaskId,
  responseId,
  reviewTaskId,
  type LibraryPlan,
} from './generate-library';
import { Prng } from './prng';

export interface Target {
  /** http://127.0.0.1:port */
  origin: string;
}

export interface QueryDefinition {
  key: string;
  label: string;
  /** Request paths (with `/fhir`), in the order they are sent; prepared once per target. */
  paths(target: Target): Promise<string[]>;
  /** JSON bodies, one per path, sent as POSTs (the CDS Hooks calls). */
  bodies?: string[];
  /** What the floor answers instead, when our request has no floor equivalent (the CDS calls: their matching search). */
  floorPaths?: string[];
  /** Not a FHIR search (Infobutton, $translate): the check before measuring wants 200 only. */
  notSearch?: boolean;
  /** Library resources only, anonymous: answered by the library cache when it is on (--library-cache). */
  library?: boolean;
}

/** How many distinct values each query rotates through. */
const VARIANTS = 2000;
const PAGE_SIZE = 50;
const PAGE_DEPTH = 20;
/** Owners whose queue is walked to page 20 (each walk is 20 sequential requests). */
const WALKED_OWNERS = 20;

export function procedureParameter(plan: LibraryPlan, rng: Prng): { value: string; index: number } {
  const index = rng.int(0, plan.procedures - 1);
  const facts = procedureFacts(plan, index);
  const value = rng.chance(0.5) ? `${SNOMED}|${facts.snomed}` : `${CPT}|${facts.cpt[0]}`;
  return { value, index };
}

/** A read of one library resource (DocumentReference, PlanDefinition or Questionnaire), as patients' handouts make them. */
function libraryReadPath(plan: LibraryPlan, rng: Prng): string {
  const facts = procedureFacts(plan, rng.int(0, plan.procedures - 1));
  const r = rng.next();
  if (r < 0.7) return `/fhir/DocumentReference/${rng.pick(facts.documentIds)}`;
  if (r < 0.85) return `/fhir/PlanDefinition/${facts.planDefinitionId}`;
  return `/fhir/Questionnaire/${facts.questionnaireId}`;
}

function readPaths(plan: LibraryPlan, rng: Prng): string[] {
  const out: string[] = [];
  while (out.length < VARIANTS) {
    const x = rng.next();
    if (x < 0.4 || plan.patients === 0) out.push(libraryReadPath(plan, rng));
    else {
      const i = rng.int(0, plan.patients - 1);
      const r = rng.next();
      if (r < 0.3) out.push(`/fhir/Patient/${patientId(i)}`);
      else if (r < 0.6) out.push(`/fhir/Task/${questionnaireTaskId(i)}`);
      else if (r < 0.8) out.push(`/fhir/Task/${reviewTaskId(i)}`);
      else if (patientShape(plan.seed, i, plan.procedures, plan.practitioners).hasResponse) {
        out.push(`/fhir/QuestionnaireResponse/${responseId(i)}`);
      } else out.push(`/fhir/Patient/${patientId(i)}`);
    }
  }
  return out;
}


function owners(plan: LibraryPlan, rng: Prng): string[] {
  return rng.shuffle(
    Array.from({ length: plan.practitioners }, (_, k) => `Practitioner/${practitionerId(k)}`),
  );
}

function taskQueuePath(owner: string, extra = ''): string {
  return `/fhir/Task?owner=${encodeURIComponent(owner)}&status=requested&_sort=-_lastUpdated&_count=${PAGE_SIZE}${extra}`;
}

function repeat(n: number, make: () => string): string[] {
  return Array.from({ length: n }, make);
}

export interface PageWalk {
  /** Path of page 20 (as the server's own next link gives it), per walked owner. */
  deepPaths: string[];
  /** Mean milliseconds to walk one owner's queue from page 1 to page 20, one request at a time. */
  walkMs: number;
  /** Pages actually reached (less than 20 means the queue was too short). */
  minDepth: number;
}

/** Follows `next` links from page 1 down to page 20 for some owners, one request at a time. */
export async function walkPages(target: Target, ownerList: string[]): Promise<PageWalk> {
  const deepPaths: string[] = [];
  let totalMs = 0;
  let minDepth = PAGE_DEPTH;
  for (const owner of ownerList.slice(0, WALKED_OWNERS)) {
    let path: string | undefined = taskQueuePath(owner);
    let depth = 1;
    const started = performance.now();
    while (depth < PAGE_DEPTH && path !== undefined) {
      const response = await fetch(`${target.origin}${path}`, {
        headers: { accept: 'application/fhir+json' },
      });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      const bundle = (await response.json()) as { link?: { relation: string; url: string }[] };
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (next === undefined) {
        path = undefined;
        break;
      }
      const url = new URL(next);
      path = `${url.pathname}${url.search}`;
      depth++;
    }
    totalMs += performance.now() - started;
    minDepth = Math.min(minDepth, depth);
    if (path !== undefined) deepPaths.push(path);
  }
  return { deepPaths, walkMs: totalMs / Math.max(1, Math.min(WALKED_OWNERS, ownerList.length)), minDepth };
}

/**
 * The queries for one library. `walks` keeps each target's page walk so that the
 * page-20 query and the report use the same one.
 */
export function benchmarkQueries(plan: LibraryPlan, walks: Map<string, PageWalk>): QueryDefinition[] {
  const seeded = (key: string) => new Prng(`${plan.seed}:queries:${key}`);
  const fixed = (paths: string[]) => async () => paths;
  const procedurePaths = (key: string, make: (value: string, index: number) => string) => {
    const rng = seeded(key);
    return repeat(VARIANTS, () => {
      const { value, index } = procedureParameter(plan, rng);
      return make(encodeURIComponent(value), index);
    });
  };
  const ownerList = owners(plan, seeded('owners'));
  return [
    { key: 'read', label: 'read by id', paths: fixed(readPaths(plan, seeded('read'))) },
    {
      key: 'library-read',
      label: 'read by id, library resources only',
      paths: fixed(
        (() => {
          const rng = seeded('library-read');
          return repeat(VARIANTS, () => libraryReadPath(plan, rng));
        })(),
      ),
      library: true,
    },
    {
      key: 'procedure',
      label: 'DocumentReference?procedure',
      paths: fixed(procedurePaths('procedure', (v) => `/fhir/DocumentReference?procedure=${v}`)),
      library: true,
    },
    {
      key: 'procedure-type',
      label: 'DocumentReference?procedure&type',
      paths: fixed(
        (() => {
          const rng = seeded('procedure-type-section');
          return procedurePaths('procedure-type', (v, index) => {
            const section = rng.pick(procedureFacts(plan, index).sections);
            return `/fhir/DocumentReference?procedure=${v}&type=${encodeURIComponent(`${SECTION_SYSTEM}|${section}`)}`;
          });
        })(),
      ),
    },
    {
      key: 'include',
      label: 'PlanDefinition?procedure&_include=PlanDefinition:depends-on',
      paths: fixed(
        procedurePaths(
          'include',
          (v) =>
            `/fhir/PlanDefinition?procedure=${v}&_include=${encodeURIComponent('PlanDefinition:depends-on')}`,
        ),
      ),
    },
    {
      key: 'content',
      label: 'DocumentReference?_content (full text)',
      paths: fixed(
        (() => {
          const rng = seeded('content');
          return repeat(
            VARIANTS,
            () =>
              `/fhir/DocumentReference?_content=${procedureFacts(plan, rng.int(0, plan.procedures - 1)).word}`,
          );
        })(),
      ),
    },
    {
      key: 'tasks-page-1',
      label: 'Task?owner&status=requested&_sort=-_lastUpdated&_count=50, page 1',
      paths: fixed(ownerList.map((o) => taskQueuePath(o))),
    },
    {
      key: 'tasks-page-20',
      label: 'the same, page 20 (its next link followed 19 times)',
      paths: async (target) => {
        // Empty when no queue reaches page 20: the runner reports the depth and skips it.
        const walk = await walkPages(target, ownerList);
        walks.set(target.origin, walk);
        return walk.deepPaths;
      },
    },
    {
      key: 'count',
      label: 'Task?owner&status=requested&_summary=count',
      paths: fixed(
        ownerList.map((o) => `/fhir/Task?owner=${encodeURIComponent(o)}&status=requested&_summary=count`),
      ),
    },
    cdsHookQuery(plan, 'order-select', seeded('cds-order-select')),
    cdsHookQuery(plan, 'order-sign', seeded('cds-order-sign')),
    ...ehrLookupQueries(),
  ];
}

const OIDS = { cpt: '2.16.840.1.113883.6.12', pcs: '2.16.840.1.113883.6.4', icd10cm: '2.16.840.1.113883.6.90' };
const SITE_CODES = 'https://hospital.example.org/order-codes';
const FORAMINOTOMY_CPT = ['63045', '63046', '63047'];

/** The codes an EHR sends for the foraminotomy content: CPT, ICD-10-PCS, ICD-10-CM diagnoses and a site's own codes. */
const EHR_CODES: { oid: string; system: string; code: string }[] = [
  ...FORAMINOTOMY_CPT.map((code) => ({ oid: OIDS.cpt, system: CPT, code })),
  { oid: OIDS.pcs, system: 'http://www.cms.gov/Medicare/Coding/ICD10', code: '01NB0ZZ' },
  ...['M99.61', 'M99.63', 'M99.73'].map((code) => ({ oid: OIDS.icd10cm, system: 'http://hl7.org/fhir/sid/icd-10-cm', code })),
  ...['SPINE-1', 'SPINE-2', 'SPINE-3'].map((code) => ({ oid: SITE_CODES, system: SITE_CODES, code })),
];

/** A site ConceptMap from its order codes onto the CPT codes (PUT: the same one on every run), so a third of the lookups go through translation. */
async function putSiteConceptMap(target: Target): Promise<void> {
  const map = {
    resourceType: 'ConceptMap',
    id: 'bench-site-order-codes',
    status: 'active',
    url: 'https://hospital.example.org/ConceptMap/order-codes',
    group: [{ source: SITE_CODES, target: CPT, element: FORAMINOTOMY_CPT.map((code, i) => ({ code: `SPINE-${i + 1}`, target: [{ code, equivalence: 'equivalent' }] })) }],
  };
  const res = await fetch(`${target.origin}/fhir/ConceptMap/${map.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(map) });
  if (res.status !== 200 && res.status !== 201) throw new Error(`storing the site ConceptMap: ${res.status} ${await res.text()}`);
}

/**
 * The EHR-facing lookups of the foraminotomy content (loaded with the library): the Infobutton
 * responder as JSON and as Atom, and ConceptMap/$translate of the non-CPT codes. The floor
 * answers the search underneath, PlanDefinition?procedure=CPT|code.
 */
function ehrLookupQueries(): QueryDefinition[] {
  const enc = encodeURIComponent;
  const infobutton = (c: (typeof EHR_CODES)[number], type?: string) =>
    `/infobutton?mainSearchCriteria.v.c=${enc(c.code)}&mainSearchCriteria.v.cs=${enc(c.oid)}${type ? `&knowledgeResponseType=${enc(type)}` : ''}`;
  const floorPaths = FORAMINOTOMY_CPT.map((code) => `/fhir/PlanDefinition?procedure=${enc(`${CPT}|${code}`)}`);
  const lookup = (key: string, label: string, paths: string[]): QueryDefinition => ({
    key,
    label,
    paths: async (target) => {
      await putSiteConceptMap(target);
      return paths;
    },
    floorPaths,
    notSearch: true,
  });
  return [
    lookup('infobutton-json', 'GET /infobutton, application/json (floor: PlanDefinition?procedure)', EHR_CODES.map((c) => infobutton(c, 'application/json'))),
    lookup('infobutton-atom', 'GET /infobutton, Atom (floor: PlanDefinition?procedure)', EHR_CODES.map((c) => infobutton(c))),
    lookup(
      'translate',
      'GET ConceptMap/$translate?system&code (floor: PlanDefinition?procedure)',
      EHR_CODES.filter((c) => c.system !== CPT).map((c) => `/fhir/ConceptMap/$translate?system=${enc(c.system)}&code=${enc(c.code)}`),
    ),
  ];
}

/** A day in the coming year, as an order's occurrenceDateTime. */
function orderDate(rng: Prng): string {
  const day = new Date(Date.UTC(2027, 0, 1) + rng.int(0, 364) * 86_400_000);
  return day.toISOString().slice(0, 10);
}

/**
 * CDS Hooks calls (docs/cds-hooks.md) as an EHR sends them while a clinician orders: a dated
 * procedure order (one in five the real foraminotomy plan, whose card has the dated timeline;
 * the rest a generated procedure, by CPT or SNOMED) beside an unrelated medication order.
 * The floor answers the call's matching search, PlanDefinition?procedure, the least database
 * work a card needs. The server runs with AUTH=off, as for every query: no JWT is checked.
 */
function cdsHookQuery(plan: LibraryPlan, hook: 'order-select' | 'order-sign', rng: Prng): QueryDefinition {
  const bodies: string[] = [];
  const floorPaths: string[] = [];
  for (let i = 0; i < VARIANTS; i++) {
    const real = rng.chance(0.2);
    const value = real ? `${CPT}|63047` : procedureParameter(plan, rng).value;
    const [system, code] = value.split('|');
    const order = {
      resourceType: 'ServiceRequest',
      id: `sr-${i}`,
      status: 'draft',
      intent: 'order',
      code: { coding: [{ system, code }] },
      subject: { reference: `Patient/bench-${i}` },
      occurrenceDateTime: orderDate(rng),
    };
    const medication = {
      resourceType: 'MedicationRequest',
      id: `med-${i}`,
      status: 'draft',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '617993' }] },
      subject: { reference: `Patient/bench-${i}` },
    };
    const context: Record<string, unknown> = {
      userId: 'Practitioner/bench-clinician',
      patientId: `bench-${i}`,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: order }, { resource: medication }] },
    };
    if (hook === 'order-select') context.selections = [`ServiceRequest/sr-${i}`, `MedicationRequest/med-${i}`];
    bodies.push(JSON.stringify({ hook, hookInstance: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, context }));
    floorPaths.push(`/fhir/PlanDefinition?procedure=${encodeURIComponent(value)}`);
  }
  const path = `/cds-services/${hook === 'order-select' ? 'procedure-education' : 'procedure-education-sign'}`;
  return {
    key: `cds-${hook}`,
    label: `CDS Hooks ${hook} call (floor: PlanDefinition?procedure)`,
    paths: async () => bodies.map(() => path),
    bodies,
    floorPaths,
  };
}

export interface ResponseSummary {
  status: number;
  matches: number;
  includes: number;
  total: number | undefined;
  resourceType: string | undefined;
}

/** What a client sees of one answer, to check that our server and the floor do the same work. */
export async function summarize(target: Target, path: string): Promise<ResponseSummary> {
  const response = await fetch(`${target.origin}${path}`, { headers: { accept: 'application/fhir+json' } });
  const body = (await response.json()) as {
    resourceType?: string;
    total?: number;
    entry?: { search?: { mode?: string } }[];
  };
  const entries = body.entry ?? [];
  return {
    status: response.status,
    matches: entries.filter((e) => e.search?.mode === 'match').length,
    includes: entries.filter((e) => e.search?.mode === 'include').length,
    total: body.total,
    resourceType: body.resourceType,
  };
}
