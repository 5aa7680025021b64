import type {
  Coding,
  Quantity,
  Questionnaire,
  QuestionnaireItem,
  QuestionnaireItemEnableWhen,
  QuestionnaireResponseItemAnswer,
} from 'fhir/r4';
import { childrenOf, walk, type ResponseNode } from './response-tree';

/** Every item of a Questionnaire by linkId (linkIds are unique: R4 invariant que-2), with its parent. */
export interface QuestionnaireIndex {
  get(linkId: string): { item: QuestionnaireItem; parent: QuestionnaireItem | undefined } | undefined;
}

export function indexQuestionnaire(questionnaire: Questionnaire): QuestionnaireIndex {
  const map = new Map<string, { item: QuestionnaireItem; parent: QuestionnaireItem | undefined }>();
  const add = (items: QuestionnaireItem[] | undefined, parent: QuestionnaireItem | undefined) => {
    for (const item of items ?? []) {
      if (!map.has(item.linkId)) map.set(item.linkId, { item, parent });
      add(item.item, item);
    }
  };
  add(questionnaire.item, undefined);
  return map;
}

/**
 * Decides which items of a response are enabled (R4 Questionnaire.item.enableWhen and
 * enableBehavior). An item is enabled when its parent is enabled and its conditions hold.
 * A condition looks at the nearest occurrence of its question (ancestors first, then the whole
 * response, as the R4 comment on enableWhen.question says), and a question that is itself
 * disabled counts as unanswered.
 */
export class EnableWhenEvaluator {
  private readonly memo = new Map<ResponseNode, boolean>();
  private readonly visiting = new Set<ResponseNode>();

  constructor(
    private readonly index: QuestionnaireIndex,
    private readonly roots: ResponseNode[],
  ) {}

  /** Is this item of the response enabled? */
  isEnabled(node: ResponseNode): boolean {
    const known = this.memo.get(node);
    if (known !== undefined) return known;
    // A cycle of enableWhen is an authoring error; break it by treating the item as enabled.
    if (this.visiting.has(node)) return true;
    this.visiting.add(node);
    const definition = this.index.get(node.linkId)?.item;
    const enabled =
      (node.parent === undefined || this.isEnabled(node.parent)) &&
      (definition === undefined || this.conditionsHold(definition, node));
    this.visiting.delete(node);
    this.memo.set(node, enabled);
    return enabled;
  }

  /** Would an item that is absent from the response be enabled under this parent (undefined = top level)? */
  isEnabledUnder(item: QuestionnaireItem, parent: ResponseNode | undefined): boolean {
    return (parent === undefined || this.isEnabled(parent)) && this.conditionsHold(item, parent);
  }

  private conditionsHold(item: QuestionnaireItem, context: ResponseNode | undefined): boolean {
    const conditions = item.enableWhen ?? [];
    if (conditions.length === 0) return true;
    const results = conditions.map((c) => this.conditionHolds(c, context));
    return item.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
  }

  private conditionHolds(condition: QuestionnaireItemEnableWhen, context: ResponseNode | undefined): boolean {
    const question = this.nearestQuestion(condition.question, context);
    const answers = question !== undefined && this.isEnabled(question) ? (question.item.answer ?? []) : [];
    return enableWhenHolds(condition, answers);
  }

  private nearestQuestion(linkId: string, context: ResponseNode | undefined): ResponseNode | undefined {
    for (let scope = context; scope !== undefined; scope = scope.parent) {
      for (const node of walk(childrenOf(scope))) if (node.linkId === linkId) return node;
    }
    for (const node of walk(this.roots)) if (node.linkId === linkId) return node;
    return undefined;
  }
}

/**
 * One enableWhen condition against the answers of its question (R4 value set
 * questionnaire-enable-operator): `exists` compares presence with answerBoolean; `=` and the
 * comparisons hold when at least one answer satisfies them; `!=` holds when no answer equals.
 */
export function enableWhenHolds(
  condition: QuestionnaireItemEnableWhen,
  answers: QuestionnaireResponseItemAnswer[],
): boolean {
  if (condition.operator === 'exists') return answers.length > 0 === (condition.answerBoolean === true);
  const expected = typedValue(condition, 'answer');
  if (expected === undefined) return false;
  const actual = answers.map((a) => typedValue(a, 'value')).filter((v): v is TypedValue => v !== undefined);
  switch (condition.operator) {
    case '=':
      return actual.some((v) => valuesEqual(v, expected));
    case '!=':
      return !actual.some((v) => valuesEqual(v, expected));
    default: {
      const operator = condition.operator;
      return actual.some((v) => {
        const order = compareValues(v, expected);
        if (order === undefined) return false;
        if (operator === '>') return order > 0;
        if (operator === '<') return order < 0;
        if (operator === '>=') return order >= 0;
        return order <= 0;
      });
    }
  }
}

export interface TypedValue {
  /** The type suffix: Boolean, Coding, String, Integer, ... */
  type: string;
  value: unknown;
}

/** The `answer[x]` / `value[x]` of an element, e.g. valueCoding -> { type: 'Coding', value }. */
export function typedValue(element: object, prefix: 'answer' | 'value'): TypedValue | undefined {
  for (const [key, value] of Object.entries(element)) {
    if (
      key.startsWith(prefix) &&
      key.length > prefix.length &&
      /[A-Z]/.test(key[prefix.length]) &&
      value !== undefined
    ) {
      return { type: key.slice(prefix.length), value };
    }
  }
  return undefined;
}

export function valuesEqual(a: TypedValue, b: TypedValue): boolean {
  if (isNumeric(a) && isNumeric(b)) return a.value === b.value;
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'Coding':
      return codingsEqual(a.value as Coding, b.value as Coding);
    case 'Quantity': {
      const x = a.value as Quantity;
      const y = b.value as Quantity;
      return (
        x.value === y.value &&
        (x.code ?? x.unit) === (y.code ?? y.unit) &&
        (x.system ?? null) === (y.system ?? null)
      );
    }
    case 'Reference':
      return (a.value as { reference?: string }).reference === (b.value as { reference?: string }).reference;
    default:
      return a.value === b.value;
  }
}

/** Codings match on code, and on system when both name one (display does not count). */
export function codingsEqual(a: Coding, b: Coding): boolean {
  return a.code === b.code && (a.system === undefined || b.system === undefined || a.system === b.system);
}

function isNumeric(v: TypedValue): v is TypedValue & { value: number } {
  return (v.type === 'Integer' || v.type === 'Decimal') && typeof v.value === 'number';
}

function compareValues(a: TypedValue, b: TypedValue): number | undefined {
  if (isNumeric(a) && isNumeric(b)) return a.value - b.value;
  if (a.type !== b.type) return undefined;
  if (a.type === 'Quantity') {
    const x = a.value as Quantity;
    const y = b.value as Quantity;
    if ((x.code ?? x.unit) !== (y.code ?? y.unit) || x.value === undefined || y.value === undefined)
      return undefined;
    return x.value - y.value;
  }
  // date, dateTime, time and string compare as ISO 8601 / text (same precision assumed).
  if (typeof a.value === 'string' && typeof b.value === 'string')
    return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return undefined;
}
