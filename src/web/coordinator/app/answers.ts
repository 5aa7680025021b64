import type { Coding, Questionnaire, QuestionnaireItem, QuestionnaireResponse, QuestionnaireResponseItem, QuestionnaireResponseItemAnswer, Task } from 'fhir/r4';
import { BASE, PREOP_CONCERN } from './model';

const FOLLOW_UP_RULE = `${BASE}/StructureDefinition/follow-up-rule`;

/** One answered question of a response, in the Questionnaire's order, with the follow-ups its answer raised. */
export interface AnsweredQuestion {
  linkId: string;
  question: string;
  answers: string[];
  depth: number;
  group: boolean;
  followUps: Task[];
}

/**
 * The questions whose answers can raise each concern: the linkIds a follow-up rule's FHIRPath
 * names (`linkId = '...'`). The rules are the Questionnaire's content; this only reads them.
 */
export function concernQuestions(questionnaire: Questionnaire): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const extension of questionnaire.extension ?? []) {
    if (extension.url !== FOLLOW_UP_RULE) continue;
    const concern = extension.extension?.find((e) => e.url === 'concern')?.valueCoding?.code;
    const expression = extension.extension?.find((e) => e.url === 'expression')?.valueExpression?.expression;
    if (concern === undefined || expression === undefined) continue;
    map.set(concern, [...expression.matchAll(/linkId\s*=\s*'([^']+)'/g)].map((m) => m[1]));
  }
  return map;
}

function answerText(answer: QuestionnaireResponseItemAnswer): string {
  if (answer.valueBoolean !== undefined) return answer.valueBoolean ? 'Yes' : 'No';
  const coding: Coding | undefined = answer.valueCoding;
  if (coding !== undefined) return coding.display ?? coding.code ?? '';
  const value = answer.valueString ?? answer.valueDate ?? answer.valueDateTime ?? answer.valueInteger ?? answer.valueDecimal ?? answer.valueTime ?? answer.valueUri;
  if (value !== undefined) return String(value);
  if (answer.valueQuantity !== undefined) return `${answer.valueQuantity.value ?? ''} ${answer.valueQuantity.unit ?? ''}`.trim();
  return '';
}

export function concernOf(task: Task): string | undefined {
  return task.reasonCode?.coding?.find((c) => c.system === PREOP_CONCERN)?.code;
}

/**
 * The response as question → answer lines, each follow-up Task beside the first answered
 * question its concern's rule names; follow-ups no answer can be found for are returned apart.
 */
export function answeredQuestions(questionnaire: Questionnaire, response: QuestionnaireResponse, followUps: Task[]): { lines: AnsweredQuestion[]; unplaced: Task[] } {
  const texts = new Map<string, string>();
  const walkQ = (items: QuestionnaireItem[] | undefined) => {
    for (const item of items ?? []) {
      texts.set(item.linkId, item.text ?? item.linkId);
      walkQ(item.item);
    }
  };
  walkQ(questionnaire.item);
  const lines: AnsweredQuestion[] = [];
  const walkR = (items: QuestionnaireResponseItem[] | undefined, depth: number) => {
    for (const item of items ?? []) {
      const answers = (item.answer ?? []).map(answerText);
      const group = (item.item?.length ?? 0) > 0 && answers.length === 0;
      lines.push({ linkId: item.linkId, question: item.text ?? texts.get(item.linkId) ?? item.linkId, answers, depth, group, followUps: [] });
      walkR(item.item, depth + 1);
      for (const answer of item.answer ?? []) walkR(answer.item, depth + 1);
    }
  };
  walkR(response.item, 0);
  const rules = concernQuestions(questionnaire);
  const unplaced: Task[] = [];
  for (const task of followUps) {
    const concern = concernOf(task);
    const linkIds = concern === undefined ? [] : (rules.get(concern) ?? []);
    const line = lines.find((l) => linkIds.includes(l.linkId) && l.answers.length > 0);
    if (line === undefined) unplaced.push(task);
    else line.followUps.push(task);
  }
  return { lines, unplaced };
}
