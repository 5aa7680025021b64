import type {
  Coding,
  OperationOutcomeIssue,
  Patient,
  Questionnaire,
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  QuestionnaireResponseItemAnswer,
  Reference,
} from 'fhir/r4';
import { issue } from '../fhir/operation-outcome';
import { PREOP_CONCERN_SYSTEM } from './codes';
import { codingsEqual, typedValue } from './enable-when';
import { evaluateValues } from '../fhir/fhirpath/evaluate';
import { buildResponseTree, walk } from './response-tree';

/**
 * Items whose answers are carried forward from the patient's previous completed response,
 * chosen by the item's code: the list of medicines (and whether the patient takes any) rarely
 * changes between two questionnaires, while illnesses, pregnancy or a ride home must be asked
 * again. A content author who wants another item carried forward gives it one of these codes.
 */
export const CARRIED_FORWARD_CODES: readonly Coding[] = [{ system: PREOP_CONCERN_SYSTEM, code: 'medicines' }];

export interface PopulateSources {
  subject: Reference;
  /** The subject's record, when the caller asked for local data (SDC `local`). */
  patient?: Patient;
  /** The subject's previous completed response to this Questionnaire. */
  previous?: QuestionnaireResponse;
  now: string;
}

export interface PopulateResult {
  response: QuestionnaireResponse;
  /** What was filled in and from where (information), and what could not be (warning). */
  issues: OperationOutcomeIssue[];
}

/**
 * SDC $populate for one Questionnaire (SDC OperationDefinition Questionnaire-populate): an
 * in-progress response with one item per Questionnaire item (groups nested, repeating groups
 * once, or once per carried-forward repetition) and the answers the server knows:
 * - items whose `definition` is an element of the Patient (e.g. `…/Patient#Patient.gender`)
 *   get the patient's value, mapped onto the item's answer options;
 * - items coded as in CARRIED_FORWARD_CODES get the answers of the previous response.
 * Everything else is left unanswered for the person who fills it in.
 */
export function populateResponse(questionnaire: Questionnaire, sources: PopulateSources): PopulateResult {
  const issues: OperationOutcomeIssue[] = [];
  const previousItems = sources.previous
    ? [...walk(buildResponseTree(sources.previous))].map((n) => n.item)
    : [];

  const build = (definitions: QuestionnaireItem[] | undefined, path: string): QuestionnaireResponseItem[] => {
    const out: QuestionnaireResponseItem[] = [];
    for (const definition of definitions ?? []) {
      const here = `${path}.item[${out.length}]`;
      if (isCarriedForward(definition) && sources.previous) {
        const earlier = previousItems.filter((i) => i.linkId === definition.linkId);
        if (earlier.length > 0) {
          const copies = (
            definition.type === 'group' && definition.repeats ? earlier : earlier.slice(0, 1)
          ).map((i) => conform(i, definition));
          out.push(...copies);
          issues.push(
            issue(
              'information',
              'informational',
              `'${definition.linkId}' carried forward from QuestionnaireResponse/${sources.previous.id} (${sources.previous.authored ?? 'no date'})`,
              here,
            ),
          );
          continue;
        }
      }
      const item: QuestionnaireResponseItem = { linkId: definition.linkId };
      if (definition.text !== undefined) item.text = definition.text;
      if (definition.type === 'group') {
        item.item = build(definition.item, here);
      } else if (definition.type !== 'display') {
        const answers = sources.patient ? answersFromPatient(definition, sources.patient, here, issues) : [];
        if (answers.length > 0) item.answer = answers;
      }
      out.push(item);
    }
    return out;
  };

  const response: QuestionnaireResponse = {
    resourceType: 'QuestionnaireResponse',
    questionnaire:
      questionnaire.version !== undefined && questionnaire.url !== undefined
        ? `${questionnaire.url}|${questionnaire.version}`
        : questionnaire.url,
    status: 'in-progress',
    subject: sources.subject,
    authored: sources.now,
    item: build(questionnaire.item, 'QuestionnaireResponse'),
  };
  return { response, issues };
}

function isCarriedForward(definition: QuestionnaireItem): boolean {
  return (definition.code ?? []).some((c) => CARRIED_FORWARD_CODES.some((k) => codingsEqual(c, k)));
}

/** A copy of an earlier item keeping only what the Questionnaire still defines under it. */
function conform(item: QuestionnaireResponseItem, definition: QuestionnaireItem): QuestionnaireResponseItem {
  const children = new Map((definition.item ?? []).map((d) => [d.linkId, d]));
  const keep = (items: QuestionnaireResponseItem[] | undefined) =>
    (items ?? []).filter((i) => children.has(i.linkId)).map((i) => conform(i, children.get(i.linkId)!));
  const copy: QuestionnaireResponseItem = { linkId: item.linkId };
  if (definition.text !== undefined) copy.text = definition.text;
  if (definition.type === 'group') {
    copy.item = keep(item.item);
  } else if (item.answer?.length) {
    copy.answer = item.answer.map((a) => {
      const answer: QuestionnaireResponseItemAnswer = { ...a };
      delete answer.item;
      const nested = keep(a.item);
      if (nested.length > 0) answer.item = nested;
      return answer;
    });
  }
  return copy;
}

const PATIENT_DEFINITION =
  /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/Patient#(Patient(?:\.[A-Za-z]+)+)$/;

/** Answers for an item whose `definition` names an element of the Patient resource. */
function answersFromPatient(
  definition: QuestionnaireItem,
  patient: Patient,
  path: string,
  issues: OperationOutcomeIssue[],
): QuestionnaireResponseItemAnswer[] {
  const match = definition.definition === undefined ? null : PATIENT_DEFINITION.exec(definition.definition);
  if (match === null) return [];
  const result = evaluateValues(match[1], patient);
  if (!result.ok) {
    issues.push(
      issue(
        'warning',
        'processing',
        `'${definition.linkId}': ${match[1]} could not be read from the Patient (${result.message})`,
        path,
      ),
    );
    return [];
  }
  const answers = result.values
    .map((v) => toAnswer(definition, v))
    .filter((a): a is QuestionnaireResponseItemAnswer => a !== undefined);
  const kept = definition.repeats ? answers : answers.slice(0, 1);
  if (kept.length > 0) {
    issues.push(
      issue(
        'information',
        'informational',
        `'${definition.linkId}' filled from Patient/${patient.id} (${match[1]})`,
        path,
      ),
    );
  } else if (result.values.length > 0) {
    issues.push(
      issue(
        'warning',
        'processing',
        `'${definition.linkId}': the Patient's ${match[1]} matches none of the item's answers`,
        path,
      ),
    );
  }
  return kept;
}

function toAnswer(
  definition: QuestionnaireItem,
  value: unknown,
): QuestionnaireResponseItemAnswer | undefined {
  const options = definition.answerOption ?? [];
  if (options.length > 0) {
    const option = options.find((o) => {
      const v = typedValue(o, 'value');
      if (v === undefined) return false;
      if (v.type === 'Coding' && typeof value === 'string') return (v.value as Coding).code === value;
      if (v.type === 'Coding' && typeof value === 'object' && value !== null)
        return codingsEqual(v.value as Coding, value as Coding);
      return v.value === value;
    });
    if (option === undefined) return undefined;
    const v = typedValue(option, 'value')!;
    return { [`value${v.type}`]: v.value } as QuestionnaireResponseItemAnswer;
  }
  switch (definition.type) {
    case 'boolean':
      return typeof value === 'boolean' ? { valueBoolean: value } : undefined;
    case 'string':
    case 'text':
      return typeof value === 'string' ? { valueString: value } : undefined;
    case 'date':
      return typeof value === 'string' ? { valueDate: value.slice(0, 10) } : undefined;
    case 'dateTime':
      return typeof value === 'string' ? { valueDateTime: value } : undefined;
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? { valueInteger: value } : undefined;
    case 'decimal':
      return typeof value === 'number' ? { valueDecimal: value } : undefined;
    default:
      return undefined;
  }
}
