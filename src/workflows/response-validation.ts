import type {
  OperationOutcomeIssue,
  Questionnaire,
  QuestionnaireItem,
  QuestionnaireItemAnswerOption,
  QuestionnaireResponse,
  QuestionnaireResponseItemAnswer,
} from 'fhir/r4';
import { issue } from '../fhir/operation-outcome';
import {
  EnableWhenEvaluator,
  indexQuestionnaire,
  typedValue,
  valuesEqual,
  type QuestionnaireIndex,
} from './enable-when';
import { buildResponseTree, hasAnswers, type ResponseNode } from './response-tree';

/** The value[x] types an answer may carry, per R4 Questionnaire.item.type (questionnaire.html#item-types). */
const ANSWER_TYPES: Record<string, string[]> = {
  boolean: ['Boolean'],
  decimal: ['Decimal'],
  integer: ['Integer'],
  date: ['Date'],
  dateTime: ['DateTime'],
  time: ['Time'],
  string: ['String'],
  text: ['String'],
  url: ['Uri'],
  choice: ['Coding'],
  'open-choice': ['Coding', 'String'],
  attachment: ['Attachment'],
  reference: ['Reference'],
  quantity: ['Quantity'],
};

/**
 * Checks a QuestionnaireResponse against its Questionnaire. Pure: no storage, no HTTP.
 *
 * Always checked: every linkId exists and sits where the Questionnaire puts it (same parent,
 * same order, group children under `item`, question children under `answer.item`); answers
 * only on questions, of the item's type, within `answerOption`; `repeats` (a repeating group
 * is several items, a repeating question is one item with several answers).
 * Checked once the response is `completed` or `amended` (R4 questionnaireresponse.html#validation:
 * the Questionnaire's rules are not expected to hold while it is `in-progress`): required items
 * answered when enabled, no answers to disabled items, `maxLength`.
 *
 * Each problem is one issue whose expression is the item (or answer) at fault, or, for a
 * missing item, the item where it should have been.
 */
export function validateResponseAgainstQuestionnaire(
  questionnaire: Questionnaire,
  response: QuestionnaireResponse,
): OperationOutcomeIssue[] {
  return new ResponseChecker(questionnaire, response).check();
}

export function isCompletedStatus(status: QuestionnaireResponse['status'] | undefined): boolean {
  return status === 'completed' || status === 'amended';
}

class ResponseChecker {
  private readonly issues: OperationOutcomeIssue[] = [];
  private readonly index: QuestionnaireIndex;
  private readonly roots: ResponseNode[];
  private readonly enable: EnableWhenEvaluator;
  private readonly completed: boolean;
  private readonly name: string;

  constructor(
    private readonly questionnaire: Questionnaire,
    response: QuestionnaireResponse,
  ) {
    this.index = indexQuestionnaire(questionnaire);
    this.roots = buildResponseTree(response);
    this.enable = new EnableWhenEvaluator(this.index, this.roots);
    this.completed = isCompletedStatus(response.status);
    this.name = questionnaire.url ?? `Questionnaire/${questionnaire.id ?? '?'}`;
  }

  check(): OperationOutcomeIssue[] {
    this.checkLevel(this.questionnaire.item ?? [], this.roots, undefined, 'QuestionnaireResponse', false);
    return this.issues;
  }

  private error(code: OperationOutcomeIssue['code'], diagnostics: string, expression: string) {
    this.issues.push(issue('error', code, diagnostics, expression));
  }

  /**
   * The response items `nodes` found under one parent (`parentPath`), against the items the
   * Questionnaire puts there (`definitions`).
   */
  private checkLevel(
    definitions: QuestionnaireItem[],
    nodes: ResponseNode[],
    parent: ResponseNode | undefined,
    parentPath: string,
    insideDisabled: boolean,
  ) {
    let furthest = -1;
    const occurrences = new Map<string, number>();
    for (const node of nodes) {
      const position = definitions.findIndex((d) => d.linkId === node.linkId);
      if (position < 0) {
        this.misplaced(node);
        continue;
      }
      const definition = definitions[position];
      if (position < furthest) {
        this.error(
          'structure',
          `Item '${node.linkId}' is out of order: the Questionnaire puts it before '${definitions[furthest].linkId}'`,
          node.path,
        );
      }
      furthest = Math.max(furthest, position);
      const count = (occurrences.get(node.linkId) ?? 0) + 1;
      occurrences.set(node.linkId, count);
      if (count > 1) {
        if (definition.type !== 'group' && definition.repeats) {
          this.error(
            'structure',
            `Question '${node.linkId}' repeats by having several answers in one item, not by appearing again`,
            node.path,
          );
        } else if (definition.type === 'group' && !definition.repeats) {
          this.error(
            'structure',
            `Group '${node.linkId}' does not repeat but appears ${count} times`,
            node.path,
          );
        } else if (definition.type !== 'group') {
          this.error(
            'structure',
            `Question '${node.linkId}' does not repeat but appears ${count} times`,
            node.path,
          );
        }
      }
      this.checkItem(definition, node, insideDisabled);
    }
    if (this.completed && !insideDisabled) this.checkMissing(definitions, nodes, parent, parentPath);
  }

  /** A linkId that is unknown here: either not in the Questionnaire at all, or in another place. */
  private misplaced(node: ResponseNode) {
    const found = this.index.get(node.linkId);
    if (found === undefined) {
      this.error('structure', `linkId '${node.linkId}' is not an item of ${this.name}`, node.path);
      return;
    }
    const where = found.parent ? `inside item '${found.parent.linkId}'` : 'at the top level of the response';
    this.error(
      'structure',
      `Item '${node.linkId}' is not allowed here: the Questionnaire puts it ${where}`,
      node.path,
    );
  }

  private checkItem(definition: QuestionnaireItem, node: ResponseNode, insideDisabled: boolean) {
    const answers = node.item.answer ?? [];
    const enabled = this.enable.isEnabled(node);
    // Report a disabled item once, at the highest disabled level that carries answers.
    const disabledHere = !insideDisabled && !enabled;
    if (this.completed && disabledHere && hasAnswers(node)) {
      this.error(
        'business-rule',
        `Item '${node.linkId}' is not enabled (see its enableWhen), so a completed response must not answer it`,
        node.path,
      );
    }
    const childDisabled = insideDisabled || !enabled;
    if (definition.type === 'group' || definition.type === 'display') {
      if (answers.length > 0) {
        this.error(
          'structure',
          `Item '${node.linkId}' is a ${definition.type}: it takes no answers`,
          `${node.path}.answer[0]`,
        );
      }
      if (definition.type === 'display') {
        if (node.itemChildren.length > 0)
          this.error('structure', `Display item '${node.linkId}' has no child items`, `${node.path}.item[0]`);
        return;
      }
      this.checkLevel(definition.item ?? [], node.itemChildren, node, node.path, childDisabled);
      if (this.completed && enabled && !insideDisabled && definition.required && !hasAnswers(node)) {
        this.error('required', `Required group '${node.linkId}' has no answered item`, node.path);
      }
      return;
    }
    if (node.itemChildren.length > 0) {
      this.error(
        'structure',
        `Items nested in question '${node.linkId}' belong under each of its answers (answer.item), not under item`,
        `${node.path}.item[0]`,
      );
    }
    if (answers.length > 1 && !definition.repeats) {
      this.error(
        'structure',
        `Question '${node.linkId}' does not repeat: it takes one answer, found ${answers.length}`,
        `${node.path}.answer[1]`,
      );
    }
    answers.forEach((answer, j) => {
      const answerPath = `${node.path}.answer[${j}]`;
      this.checkAnswer(definition, answer, answerPath);
      this.checkLevel(definition.item ?? [], node.answerChildren[j] ?? [], node, answerPath, childDisabled);
    });
    if (this.completed && enabled && !insideDisabled && definition.required && answers.length === 0) {
      this.error(
        'required',
        `Required question '${node.linkId}' (${definition.text ?? 'no text'}) has no answer`,
        node.path,
      );
    }
  }

  private checkAnswer(definition: QuestionnaireItem, answer: QuestionnaireResponseItemAnswer, path: string) {
    const value = typedValue(answer, 'value');
    if (value === undefined) {
      this.error('required', `An answer to '${definition.linkId}' must carry a value`, path);
      return;
    }
    const optionTypes = (definition.answerOption ?? [])
      .map((o) => typedValue(o, 'value')?.type)
      .filter((t): t is string => t !== undefined);
    const allowed = [
      ...new Set([
        ...(ANSWER_TYPES[definition.type] ?? []),
        ...(definition.type === 'choice' || definition.type === 'open-choice' ? optionTypes : []),
      ]),
    ];
    if (!allowed.includes(value.type)) {
      this.error(
        'value',
        `'${definition.linkId}' is a ${definition.type} question: its answer must be value${allowed.join(' or value')}, not value${value.type}`,
        path,
      );
      return;
    }
    const freeText = definition.type === 'open-choice' && value.type === 'String';
    if (
      (definition.answerOption?.length ?? 0) > 0 &&
      !freeText &&
      !definition.answerOption!.some((o) => optionMatches(o, value))
    ) {
      this.error(
        'code-invalid',
        `${describe(value)} is not one of the answer options of '${definition.linkId}' (${definition.answerOption!.map(describeOption).join(', ')})`,
        path,
      );
    }
    if (this.completed && definition.maxLength !== undefined && typeof value.value === 'string') {
      const length = [...value.value].length;
      if (length > definition.maxLength) {
        this.error(
          'value',
          `The answer to '${definition.linkId}' is ${length} characters long; the Questionnaire allows at most ${definition.maxLength}`,
          path,
        );
      }
    }
  }

  /** Items the Questionnaire puts here that the response leaves out (completed responses only). */
  private checkMissing(
    definitions: QuestionnaireItem[],
    nodes: ResponseNode[],
    parent: ResponseNode | undefined,
    parentPath: string,
  ) {
    for (const definition of definitions) {
      if (definition.type === 'display' || nodes.some((n) => n.linkId === definition.linkId)) continue;
      if (!this.enable.isEnabledUnder(definition, parent)) continue;
      if (definition.required) {
        const what = definition.type === 'group' ? 'group' : 'question';
        this.error(
          'required',
          `Required ${what} '${definition.linkId}' (${definition.text ?? 'no text'}) is missing`,
          parentPath,
        );
      } else if (definition.type === 'group' && !definition.repeats) {
        // An absent optional group still owes its required items (R4: required means "present
        // in a completed response"); an absent repeating group is zero repetitions.
        this.checkMissing(definition.item ?? [], [], parent, parentPath);
      }
    }
  }
}

function optionMatches(
  option: QuestionnaireItemAnswerOption,
  value: { type: string; value: unknown },
): boolean {
  const expected = typedValue(option, 'value');
  return expected !== undefined && valuesEqual(value, expected);
}

function describe(value: { type: string; value: unknown }): string {
  if (value.type === 'Coding') {
    const c = value.value as { system?: string; code?: string };
    return `Code '${c.system ? `${c.system}|` : ''}${c.code ?? ''}'`;
  }
  return `'${JSON.stringify(value.value)}'`;
}

function describeOption(option: QuestionnaireItemAnswerOption): string {
  const value = typedValue(option, 'value');
  if (value === undefined) return '?';
  if (value.type === 'Coding') return (value.value as { code?: string }).code ?? '?';
  return JSON.stringify(value.value);
}
