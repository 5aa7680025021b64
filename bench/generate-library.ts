/**
 * Deterministic synthetic libraries for the benchmark, shaped like content/: per procedure one
 * PlanDefinition, 7-9 DocumentReferences (one per education-section kind) and one pre-op
 * Questionnaire, each procedure with its own SNOMED CT-like and CPT-like codes; plus the
 * patient-side data that grows with every surgery (Practitioners who own Tasks, Patients,
 * questionnaire Tasks, review Tasks, QuestionnaireResponses).
 *
 * Everything is a pure function of (size, seed, patient share): ids, codes and words can be
 * recomputed by the runner without reading the files back. Resources are produced one by one
 * and cut into transaction Bundles of 500 PUT entries; nothing holds a whole library in memory.
 *
 * CLI: `npx tsx bench/generate-library.ts --size 10k [--seed bench] [--patient-share 0.8]`
 * writes bench/.data/<size>-<seed>-<share>/bundle-NNNNN.json and manifest.json (git-ignored).
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  Bundle,
  BundleEntry,
  CodeableConcept,
  Coding,
  DocumentReference,
  Patient,
  PlanDefinition,
  PlanDefinitionAction,
  Practitioner,
  Questionnaire,
  QuestionnaireResponse,
  Resource,
  Task,
} from 'fhir/r4';
import { Prng } from './prng';

export const BASE = 'https://patient-education.dev/fhir';
export const SNOMED = 'http://snomed.info/sct';
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const SECTION_SYSTEM = `${BASE}/CodeSystem/education-section`;
const USAGE_CONTEXT_TYPE = 'http://terminology.hl7.org/CodeSystem/usage-context-type';
const WORKFLOW_TASK = `${BASE}/CodeSystem/workflow-task`;
const CARE_PHASE = `${BASE}/CodeSystem/care-phase`;

/** The education-section kinds; `overview` and `risks` are in every procedure's set. */
export const SECTIONS = [
  'handout',
  'overview',
  'indications',
  'risks',
  'preparation',
  'day-of-surgery',
  'procedure',
  'recovery',
  'outlook',
] as const;
const SECTION_TITLES: Record<(typeof SECTIONS)[number], string> = {
  handout: 'Complete handout',
  overview: 'What is it?',
  indications: 'Why is it done?',
  risks: 'What are the risks?',
  preparation: 'Before the procedure',
  'day-of-surgery': 'On the day of surgery',
  procedure: 'What happens during surgery',
  recovery: 'After the procedure',
  outlook: 'Outlook (prognosis)',
};

export const TRANSACTION_SIZE = 500;
/** Requested Tasks per owner: enough for 20 pages of 50 in every owner's queue. */
const REQUESTED_TASKS_PER_OWNER = 1200;
const TASK_STATUSES: { status: Task['status']; share: number }[] = [
  { status: 'requested', share: 0.6 },
  { status: 'in-progress', share: 0.1 },
  { status: 'completed', share: 0.25 },
  { status: 'cancelled', share: 0.05 },
];

/** Share of questionnaire Tasks that were started (in progress or completed): these have a response. */
const STARTED_SHARE = TASK_STATUSES[1].share + TASK_STATUSES[2].share;

export interface PatientShape {
  procedure: number;
  questionnaireOwner: string;
  reviewOwner: string;
  questionnaireStatus: Task['status'];
  reviewStatus: Task['status'];
  /** A response exists when the questionnaire Task was started; the server's response hook
   * then moves the Task to in-progress or completed, as a real answer would. */
  hasResponse: boolean;
}

function taskStatus(rng: Prng): Task['status'] {
  let x = rng.next();
  for (const s of TASK_STATUSES) {
    if (x < s.share) return s.status;
    x -= s.share;
  }
  return 'requested';
}

/** The random choices of patient `i`, drawn in a fixed order from a generator of its own. */
export function patientShape(
  seed: string,
  i: number,
  procedures: number,
  practitioners: number,
): PatientShape {
  const rng = new Prng(`${seed}:patient-shape:${i}`);
  const procedure = rng.int(0, procedures - 1);
  const questionnaireOwner = practitionerId(rng.int(0, practitioners - 1));
  const reviewOwner = practitionerId(rng.int(0, practitioners - 1));
  const questionnaireStatus = taskStatus(rng);
  const reviewStatus = taskStatus(rng);
  const hasResponse = questionnaireStatus === 'in-progress' || questionnaireStatus === 'completed';
  return { procedure, questionnaireOwner, reviewOwner, questionnaireStatus, reviewStatus, hasResponse };
}

export interface LibraryPlan {
  /** `10k`, `100k`, `1m`, or a plain number. */
  label: string;
  total: number;
  seed: string;
  /** Share of the total that is patient-side data (Patients, Tasks, responses, practitioners). */
  patientShare: number;
  procedures: number;
  /** DocumentReferences of all procedures together. */
  documents: number;
  practitioners: number;
  patients: number;
  /** Tasks added to patient 0 so that the total is exact. */
  extraTasks: number;
  counts: Record<string, number>;
}

export interface ProcedureFacts {
  index: number;
  /** A made-up procedure name, one word, unique in the library (full-text searches use it). */
  word: string;
  title: string;
  planDefinitionId: string;
  questionnaireId: string;
  questionnaireUrl: string;
  documentIds: string[];
  sections: (typeof SECTIONS)[number][];
  snomed: string;
  cpt: string[];
}

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!m) throw new Error(`Not a size: "${text}" (use e.g. 10k, 100k, 1m)`);
  const factor = m[2].toLowerCase() === 'k' ? 1_000 : m[2].toLowerCase() === 'm' ? 1_000_000 : 1;
  return Math.round(Number(m[1]) * factor);
}

export function sizeLabel(total: number): string {
  if (total % 1_000_000 === 0) return `${total / 1_000_000}m`;
  if (total % 1_000 === 0) return `${total / 1_000}k`;
  return String(total);
}

function procedureRng(seed: string, index: number): Prng {
  return new Prng(`${seed}:procedure:${index}`);
}

/** Sections of one procedure: `overview` and `risks` always, 5-7 of the other 7 kinds. */
function sectionsOf(seed: string, index: number): (typeof SECTIONS)[number][] {
  const rng = procedureRng(seed, index);
  const others = SECTIONS.filter((s) => s !== 'overview' && s !== 'risks');
  const chosen = new Set(rng.sample(others, rng.int(5, 7)));
  return SECTIONS.filter((s) => s === 'overview' || s === 'risks' || chosen.has(s));
}

export function planLibrary(options: { total: number; seed: string; patientShare: number }): LibraryPlan {
  const { total, seed, patientShare } = options;
  if (!(patientShare >= 0 && patientShare < 1)) throw new Error('patient share must be in [0, 1)');
  const libraryTarget = Math.max(10, Math.round(total * (1 - patientShare)));
  // Procedures are added while the library stays within its share of the total.
  let procedures = 0;
  let documents = 0;
  for (;;) {
    const next = sectionsOf(seed, procedures).length;
    if (procedures > 0 && (procedures + 1) * 2 + documents + next > libraryTarget) break;
    documents += next;
    procedures++;
  }
  if (procedures * 3 >= 90_000) throw new Error('too many procedures for distinct 5-digit CPT-like codes');
  const libraryCount = procedures * 2 + documents;
  const patientSide = total - libraryCount;
  if (patientSide < 0) throw new Error(`size ${total} is too small`);
  // Owners are sized so that each owner's queue holds about 1,200 requested Tasks.
  const expectedPerPatient = 3 + STARTED_SHARE;
  const expectedRequested = (patientSide / expectedPerPatient) * 2 * TASK_STATUSES[0].share;
  const practitioners = Math.min(
    patientSide,
    Math.max(1, Math.floor(expectedRequested / REQUESTED_TASKS_PER_OWNER)),
  );
  // Patients are added while they fit; what is left (0-3) becomes extra Tasks of patient 0.
  let remaining = patientSide - practitioners;
  let patients = 0;
  let responses = 0;
  for (;;) {
    const shape = patientShape(seed, patients, 1, practitioners);
    const size = 3 + (shape.hasResponse ? 1 : 0);
    if (size > remaining) break;
    remaining -= size;
    responses += shape.hasResponse ? 1 : 0;
    patients++;
  }
  const extraTasks = patients > 0 ? remaining : 0;
  const plan: LibraryPlan = {
    label: sizeLabel(total),
    total,
    seed,
    patientShare,
    procedures,
    documents,
    practitioners,
    patients,
    extraTasks,
    counts: {
      PlanDefinition: procedures,
      Questionnaire: procedures,
      DocumentReference: documents,
      Practitioner: practitioners,
      Patient: patients,
      Task: patients * 2 + extraTasks,
      QuestionnaireResponse: responses,
    },
  };
  const sum = Object.values(plan.counts).reduce((a, b) => a + b, 0);
  if (sum !== total) throw new Error(`plan adds up to ${sum}, not ${total} (size too small for its shape)`);
  return plan;
}

// --- codes and words ---------------------------------------------------------------------

/** Verhoeff check digit, as SNOMED CT identifiers carry. */
function verhoeff(digits: string): string {
  const d = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
  ];
  const p = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
  ];
  const inv = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];
  let c = 0;
  const reversed = digits.split('').reverse();
  for (let i = 0; i < reversed.length; i++) c = d[c][p[(i + 1) % 8][Number(reversed[i])]];
  return String(inv[c]);
}

/** A concept id: item identifier, partition `10` (concept, core), Verhoeff check digit. Distinct per index. */
export function snomedCode(index: number): string {
  const item = 3_000_000 + ((index * 7919) % 6_000_000);
  const body = `${item}10`;
  return body + verhoeff(body);
}

/** Three distinct 5-digit codes per procedure (a bijection of 3*index+k onto 10000-99999). */
export function cptCodes(index: number, count: number): string[] {
  return Array.from({ length: count }, (_, k) => String(10_000 + (((index * 3 + k) * 7877) % 90_000)));
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ter',
  'van',
  'sul',
  'dro',
  'pex',
  'nar',
  'bel',
  'cos',
  'fen',
  'gra',
  'hul',
  'jis',
  'kor',
  'lim',
  'mos',
  'nep',
  'ost',
  'pra',
  'quin',
  'ris',
  'sta',
  'tul',
  'ur',
  'vel',
  'wex',
  'yor',
  'zan',
];
const SUFFIXES = ['otomy', 'ectomy', 'oplasty', 'oscopy', 'odesis', 'orrhaphy', 'ostomy', 'opexy'];
const BODY = [
  'cervical',
  'lumbar',
  'thoracic',
  'knee',
  'hip',
  'shoulder',
  'wrist',
  'ankle',
  'abdominal',
  'sinus',
  'thyroid',
  'cardiac',
];

/** A pronounceable word unique to the index (base-30 syllables), with a surgical suffix. */
export function procedureWord(index: number): string {
  let n = index;
  let word = '';
  for (let i = 0; i < 4; i++) {
    word += SYLLABLES[n % SYLLABLES.length];
    n = Math.floor(n / SYLLABLES.length);
  }
  return word + SUFFIXES[index % SUFFIXES.length];
}

const WORDS = (
  'pain nerve bone joint muscle swelling numbness tingling weakness recovery surgeon nurse anesthesia ' +
  'incision stitches bandage walking driving bathing lifting medicine fever infection bleeding clot ' +
  'breathing rest sleep diet fluids appointment therapy exercise stiffness bruising scar healing week ' +
  'day hospital home ride family questions symptoms blood pressure heart diabetes smoking alcohol'
).split(' ');

function sentence(rng: Prng, word: string, length: number): string {
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(i === 2 ? word : rng.pick(WORDS));
  const text = out.join(' ');
  return text[0].toUpperCase() + text.slice(1) + '.';
}

function paragraph(rng: Prng, word: string, sentences: number): string {
  return Array.from({ length: sentences }, () => sentence(rng, word, rng.int(8, 16))).join(' ');
}

export function procedureFacts(plan: Pick<LibraryPlan, 'seed'>, index: number): ProcedureFacts {
  const rng = procedureRng(plan.seed, index);
  const word = procedureWord(index);
  const body = BODY[index % BODY.length];
  const id = `proc-${String(index).padStart(6, '0')}`;
  const sections = sectionsOf(plan.seed, index);
  void rng;
  return {
    index,
    word,
    title: `${word[0].toUpperCase()}${word.slice(1)} (${body})`,
    planDefinitionId: id,
    questionnaireId: `${id}-preop`,
    questionnaireUrl: `${BASE}/Questionnaire/${id}-preop`,
    documentIds: sections.map((s) => `${id}-${s}`),
    sections,
    snomed: snomedCode(index),
    cpt: cptCodes(index, 1 + (index % 3)),
  };
}

function procedureCodings(facts: ProcedureFacts): Coding[] {
  return [
    { system: SNOMED, code: facts.snomed, display: facts.title },
    ...facts.cpt.map((code, k) => ({ system: CPT, code, display: `${facts.title}, variant ${k + 1}` })),
  ];
}

function focusContext(facts: ProcedureFacts) {
  return [
    {
      code: { system: USAGE_CONTEXT_TYPE, code: 'focus', display: 'Clinical Focus' },
      valueCodeableConcept: { coding: procedureCodings(facts), text: facts.title },
    },
  ];
}

function narrative(title: string, text: string) {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return {
    status: 'generated' as const,
    div: `<div xmlns="http://www.w3.org/1999/xhtml"><h2>${title}</h2><p>${escaped}</p></div>`,
  };
}

// --- ids of the patient side ----------------------------------------------------------------

export const practitionerId = (k: number) => `prac-${String(k).padStart(5, '0')}`;
export const patientId = (i: number) => `pat-${String(i).padStart(7, '0')}`;
export const questionnaireTaskId = (i: number) => `task-${String(i).padStart(7, '0')}-q`;
export const reviewTaskId = (i: number) => `task-${String(i).padStart(7, '0')}-r`;
export const extraTaskId = (k: number) => `task-extra-${k}`;
export const responseId = (i: number) => `qr-${String(i).padStart(7, '0')}`;

// --- resources ------------------------------------------------------------------------------

function planDefinition(facts: ProcedureFacts, rng: Prng): PlanDefinition {
  const phase = (code: string, title: string, actions: PlanDefinitionAction[]): PlanDefinitionAction => ({
    id: code,
    title,
    description: paragraph(rng, facts.word, 1),
    code: [{ coding: [{ system: CARE_PHASE, code }] }],
    action: actions,
  });
  const step = (id: string, title: string): PlanDefinitionAction => ({
    id,
    title,
    description: paragraph(rng, facts.word, 1),
  });
  const description = paragraph(rng, facts.word, 3);
  return {
    resourceType: 'PlanDefinition',
    id: facts.planDefinitionId,
    meta: { profile: [`${BASE}/StructureDefinition/education-plandefinition`] },
    language: 'en',
    text: narrative(`${facts.title}: patient education pathway`, description),
    url: `${BASE}/PlanDefinition/${facts.planDefinitionId}`,
    version: '0.1.0',
    name: facts.word[0].toUpperCase() + facts.word.slice(1),
    title: `${facts.title}: patient education pathway`,
    type: {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/plan-definition-type', code: 'clinical-protocol' },
      ],
    },
    status: 'active',
    date: '2025-01-01',
    publisher: 'patient-education.dev (synthetic benchmark data)',
    description,
    useContext: focusContext(facts),
    lastReviewDate: '2025-01-01',
    topic: [{ text: facts.title }],
    relatedArtifact: [
      {
        type: 'citation',
        label: 'Synthetic',
        display: `Synthetic source for ${facts.title}`,
        url: `https://example.org/ency/${facts.word}.htm`,
      },
      {
        type: 'depends-on',
        label: 'Pre-op questionnaire',
        display: `Before your ${facts.word}`,
        resource: facts.questionnaireUrl,
      },
    ],
    action: [
      phase('before', 'Before surgery', [
        step('before-scan', `Have a scan before your ${facts.word}`),
        {
          ...step(
            'before-tell-surgeon',
            'Tell your surgeon or nurse about your health (pre-op questionnaire)',
          ),
          definitionCanonical: facts.questionnaireUrl,
        },
      ]),
      phase('week-before', 'The week before surgery', [
        step('week-stop-medicines', 'Stop some medicines'),
        step('week-ride', 'Plan your ride home'),
      ]),
      phase('day-of-surgery', 'On the day of surgery', [
        step('day-fast', 'Do not eat or drink'),
        step('day-arrive', 'Arrive on time'),
      ]),
      phase('after', 'After surgery', [
        step('after-rest', 'Rest and walk a little'),
        step('after-follow-up', 'Go to your follow-up visit'),
      ]),
    ],
  };
}

function documentReference(
  facts: ProcedureFacts,
  section: (typeof SECTIONS)[number],
  rng: Prng,
): DocumentReference {
  const title = `${facts.title} - ${SECTION_TITLES[section]}`;
  const text = paragraph(rng, facts.word, section === 'handout' ? 14 : rng.int(4, 8));
  const data = Buffer.from(text, 'utf8');
  return {
    resourceType: 'DocumentReference',
    id: `${facts.planDefinitionId}-${section}`,
    meta: { profile: [`${BASE}/StructureDefinition/education-documentreference`] },
    language: 'en',
    text: {
      status: 'additional',
      div: `<div xmlns="http://www.w3.org/1999/xhtml"><h2>${SECTION_TITLES[section]}</h2><p>${text.slice(0, 400)}</p></div>`,
    },
    identifier: [
      {
        system: 'urn:ietf:rfc:3986',
        value: `${BASE}/DocumentReference/${facts.planDefinitionId}-${section}`,
      },
    ],
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: SECTION_SYSTEM, code: section }], text: SECTION_TITLES[section] },
    category: [
      {
        coding: [{ system: `${BASE}/CodeSystem/document-category`, code: 'patient-education' }],
        text: 'Patient education',
      },
    ],
    date: '2025-01-01T00:00:00Z',
    description: `${title}. ${sentence(rng, facts.word, 12)}`,
    content: [
      {
        attachment: {
          contentType: 'text/plain',
          language: 'en',
          data: data.toString('base64'),
          size: data.length,
          hash: createHash('sha1').update(data).digest('base64'),
          title,
          creation: '2025-01-01',
        },
      },
    ],
    context: {
      event: procedureCodings(facts).map((coding): CodeableConcept => ({
        coding: [coding],
        text: coding.display,
      })),
    },
  };
}

const QUESTIONS: [string, string, 'boolean' | 'string'][] = [
  ['pregnancy', 'Could you be pregnant?', 'boolean'],
  ['medicines', 'Which medicines, supplements or herbs do you take?', 'string'],
  ['alcohol', 'Do you drink more than 1 or 2 alcoholic drinks a day?', 'boolean'],
  ['blood-thinners', 'Do you take blood thinners?', 'boolean'],
  ['recent-illness', 'Have you been ill recently (cold, flu, fever)?', 'boolean'],
  ['diabetes', 'Do you have diabetes, heart disease or another condition?', 'boolean'],
  ['smoking', 'Do you smoke?', 'boolean'],
  ['ride-home', 'Who will drive you home?', 'string'],
];

function questionnaire(facts: ProcedureFacts): Questionnaire {
  return {
    resourceType: 'Questionnaire',
    id: facts.questionnaireId,
    meta: { profile: [`${BASE}/StructureDefinition/preop-questionnaire`] },
    language: 'en',
    url: facts.questionnaireUrl,
    version: '0.1.0',
    name: `${facts.word[0].toUpperCase()}${facts.word.slice(1).replace(/[^a-z]/g, '')}Preop`,
    title: `Before your ${facts.word}: what your surgeon or nurse needs to know`,
    status: 'active',
    subjectType: ['Patient'],
    date: '2025-01-01',
    publisher: 'patient-education.dev (synthetic benchmark data)',
    useContext: focusContext(facts),
    item: QUESTIONS.map(([linkId, text, type]) => ({ linkId, text, type, required: type === 'boolean' })),
  };
}

const GIVEN = [
  'Ana',
  'Ben',
  'Chloe',
  'Dev',
  'Eli',
  'Fatima',
  'Goran',
  'Hana',
  'Ivo',
  'June',
  'Kofi',
  'Lea',
  'Mateo',
  'Nia',
  'Omar',
  'Pia',
];
const FAMILY = [
  'Alvarez',
  'Brown',
  'Chen',
  'Diallo',
  'Evans',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jensen',
  'Kowalski',
  'Lopez',
  'Müller',
  'Nguyen',
  'Okafor',
  'Patel',
];

function practitioner(k: number): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: practitionerId(k),
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: String(1_000_000_000 + k) }],
    name: [{ family: FAMILY[k % FAMILY.length], given: [GIVEN[(k * 7) % GIVEN.length]], prefix: ['RN'] }],
  };
}

function patient(i: number, rng: Prng): Patient {
  const year = rng.int(1940, 2005);
  return {
    resourceType: 'Patient',
    id: patientId(i),
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.3.9999.1', value: `MRN${String(i).padStart(8, '0')}` }],
    name: [{ family: rng.pick(FAMILY), given: [rng.pick(GIVEN)] }],
    gender: rng.pick(['female', 'male', 'other'] as const),
    birthDate: `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
    telecom: [{ system: 'phone', value: `+1-555-${String(i % 10_000).padStart(4, '0')}`, use: 'mobile' }],
  };
}

function surgeryDate(rng: Prng): string {
  return `2025-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`;
}

function questionnaireTask(i: number, facts: ProcedureFacts, shape: PatientShape, rng: Prng): Task {
  const day = surgeryDate(rng);
  const owner = shape.questionnaireOwner;
  return {
    resourceType: 'Task',
    id: questionnaireTaskId(i),
    meta: { profile: [`${BASE}/StructureDefinition/questionnaire-task`] },
    status: shape.questionnaireStatus,
    intent: 'order',
    priority: 'routine',
    code: {
      coding: [{ system: WORKFLOW_TASK, code: 'complete-questionnaire' }],
      text: 'Complete the pre-op questionnaire',
    },
    description: `Please answer the questions before your ${facts.word}.`,
    focus: { reference: `Questionnaire/${facts.questionnaireId}` },
    for: { reference: `Patient/${patientId(i)}` },
    executionPeriod: { end: `${day}T08:00:00Z` },
    authoredOn: `${day}T00:00:00Z`,
    requester: { reference: `Practitioner/${owner}` },
    owner: { reference: `Practitioner/${owner}` },
    input: [{ type: { text: 'questionnaire' }, valueCanonical: facts.questionnaireUrl }],
  };
}

function reviewTask(id: string, i: number, shape: PatientShape, status: Task['status'], rng: Prng): Task {
  return {
    resourceType: 'Task',
    id,
    status,
    intent: 'order',
    priority: rng.chance(0.1) ? 'urgent' : 'routine',
    code: {
      coding: [{ system: WORKFLOW_TASK, code: 'review-preop-concern' }],
      text: 'Review a pre-op concern',
    },
    focus: {
      reference: shape.hasResponse
        ? `QuestionnaireResponse/${responseId(i)}`
        : `Task/${questionnaireTaskId(i)}`,
    },
    for: { reference: `Patient/${patientId(i)}` },
    authoredOn: `${surgeryDate(rng)}T00:00:00Z`,
    owner: { reference: `Practitioner/${shape.reviewOwner}` },
  };
}

function questionnaireResponse(
  i: number,
  facts: ProcedureFacts,
  shape: PatientShape,
  rng: Prng,
): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    id: responseId(i),
    meta: { profile: [`${BASE}/StructureDefinition/preop-questionnaireresponse`] },
    questionnaire: facts.questionnaireUrl,
    status: shape.questionnaireStatus === 'completed' ? 'completed' : 'in-progress',
    subject: { reference: `Patient/${patientId(i)}` },
    authored: `${surgeryDate(rng)}T10:00:00Z`,
    item: QUESTIONS.map(([linkId, text, type]) => ({
      linkId,
      text,
      answer: [type === 'boolean' ? { valueBoolean: rng.chance(0.2) } : { valueString: rng.pick(WORDS) }],
    })),
  };
}

/** Every resource of the library in a fixed order: practitioners, procedures, patients. */
export function* generateResources(plan: LibraryPlan): Generator<Resource> {
  for (let k = 0; k < plan.practitioners; k++) yield practitioner(k);
  for (let p = 0; p < plan.procedures; p++) {
    const facts = procedureFacts(plan, p);
    const rng = new Prng(`${plan.seed}:content:${p}`);
    yield questionnaire(facts);
    yield planDefinition(facts, rng);
    for (const section of facts.sections) yield documentReference(facts, section, rng);
  }
  for (let i = 0; i < plan.patients; i++) {
    const shape = patientShape(plan.seed, i, plan.procedures, plan.practitioners);
    const rng = new Prng(`${plan.seed}:patient:${i}`);
    const facts = procedureFacts(plan, shape.procedure);
    yield patient(i, rng);
    // The Task before its response: the server's response hook looks the Task up.
    yield questionnaireTask(i, facts, shape, rng);
    if (shape.hasResponse) yield questionnaireResponse(i, facts, shape, rng);
    yield reviewTask(reviewTaskId(i), i, shape, shape.reviewStatus, rng);
    if (i === 0)
      for (let k = 0; k < plan.extraTasks; k++) yield reviewTask(extraTaskId(k), i, shape, 'requested', rng);
  }
}

/** The first resource of a group whose members refer to each other (a patient's, a procedure's). */
const STARTS_GROUP = new Set(['Practitioner', 'Questionnaire', 'Patient']);

/**
 * The library cut into transaction Bundles of PUT entries (idempotent: a re-run changes nothing),
 * in two phases: 1 = practitioners and the education library, 2 = patient-side data. Phase 2
 * must start after phase 1 has committed: the server checks each QuestionnaireResponse against
 * its stored Questionnaire. A Bundle holds whole groups (a patient with its Tasks and response):
 * it ends at the first group that starts once it has `size` entries, so that Bundles in flight
 * at the same time never refer to each other (the server checks references at commit).
 */
export function* generateBundles(
  plan: LibraryPlan,
  size = TRANSACTION_SIZE,
): Generator<{ phase: 1 | 2; bundle: Bundle }> {
  let entries: BundleEntry[] = [];
  let phase: 1 | 2 = 1;
  const flush = () => {
    const out = { phase, bundle: { resourceType: 'Bundle', type: 'transaction', entry: entries } as Bundle };
    entries = [];
    return out;
  };
  for (const resource of generateResources(plan)) {
    const resourcePhase = PATIENT_SIDE.has(resource.resourceType) ? 2 : 1;
    if (resourcePhase !== phase) {
      if (entries.length > 0) yield flush();
      phase = resourcePhase;
    } else if (entries.length >= size && STARTS_GROUP.has(resource.resourceType)) yield flush();
    entries.push({
      fullUrl: `${BASE}/${resource.resourceType}/${resource.id}`,
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    });
  }
  if (entries.length > 0) yield flush();
}

const PATIENT_SIDE = new Set(['Patient', 'Task', 'QuestionnaireResponse']);

// --- files under bench/.data ------------------------------------------------------------------

export const DATA_DIR = path.join(__dirname, '.data');

export function dataDirOf(plan: LibraryPlan): string {
  return path.join(DATA_DIR, `${plan.label}-${plan.seed}-${plan.patientShare}`);
}

interface Manifest {
  plan: LibraryPlan;
  bundles: number;
  bytes: number;
  generator: string;
}

/** Generator version: bump when the shape of the data changes, so cached files are rewritten. */
const GENERATOR_VERSION = '4';

/**
 * Writes the Bundles of a plan to its directory (one file per Bundle, written as generated)
 * unless a complete set for the same plan is there already. Returns the bundle file paths.
 */
export async function writeLibraryFiles(
  plan: LibraryPlan,
  log: (line: string) => void = () => {},
): Promise<{ dir: string; files: string[]; bytes: number }> {
  const dir = dataDirOf(plan);
  const manifestPath = path.join(dir, 'manifest.json');
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    if (manifest.generator === GENERATOR_VERSION && JSON.stringify(manifest.plan) === JSON.stringify(plan)) {
      const files = (await readdir(dir)).filter((f) => f.startsWith('bundle-')).sort();
      if (files.length === manifest.bundles)
        return { dir, files: files.map((f) => path.join(dir, f)), bytes: manifest.bytes };
    }
  } catch {
    /* not generated yet */
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let bytes = 0;
  let n = 0;
  for (const { phase, bundle } of generateBundles(plan)) {
    n++;
    const file = path.join(dir, `bundle-${phase}-${String(n).padStart(5, '0')}.json`);
    const text = JSON.stringify(bundle);
    bytes += Buffer.byteLength(text);
    await writeFile(file, text);
    files.push(file);
    if (n % 200 === 0) log(`  generated ${n} bundles (${Math.round(bytes / 1e6)} MB)`);
  }
  const manifest: Manifest = { plan, bundles: files.length, bytes, generator: GENERATOR_VERSION };
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return { dir, files, bytes };
}

/**
 * The same library as one NDJSON file (one resource per line), the input the load command
 * reads; the project's `procedure` SearchParameter comes first so that the loader indexes
 * it as the server does. Written once per plan, streamed.
 */
export async function writeNdjsonFile(plan: LibraryPlan, searchParameterFile: string): Promise<string> {
  const dir = path.join(dataDirOf(plan), 'ndjson');
  const file = path.join(dir, 'library.ndjson');
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await write(JSON.stringify(JSON.parse(await readFile(searchParameterFile, 'utf8'))));
  for (const resource of generateResources(plan)) await write(JSON.stringify(resource));
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await rename(partial, file);
  return file;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
  };
  const plan = planLibrary({
    total: parseSize(option('size', '10k')),
    seed: option('seed', 'bench'),
    patientShare: Number(option('patient-share', '0.8')),
  });
  const started = Date.now();
  const { dir, files, bytes } = await writeLibraryFiles(plan, (line) => process.stdout.write(`${line}\n`));
  process.stdout.write(
    `${JSON.stringify(plan.counts)}\n${files.length} bundles, ${Math.round(bytes / 1e6)} MB in ${dir} (${Date.now() - started} ms)\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
