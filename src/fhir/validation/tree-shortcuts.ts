/**
 * Shortcuts for the invariants that walk a whole tree of items or actions, the dearest to
 * evaluate: in a bulk load of the education library they were about a third of the time spent on
 * invariants (que-2 `descendants().linkId.isDistinct()` alone 0.28 ms per Questionnaire in the
 * `fhirpath` package, which evaluates it because @medplum/core's `descendants()` is a stub).
 * Like the others (invariant-shortcuts.ts), a shortcut only ever says "certainly true", read
 * from the JSON; anything else, a violation included, is evaluated by the engines, so an
 * error is reported exactly as before. Keyed by the exact expression: an edited profile
 * constraint simply gets no shortcut.
 */

import type { InvariantShortcut } from './invariant-shortcuts';
import { isJsonObject } from './json-values';

const FOLLOW_UP_RULE = 'https://patient-education.dev/fhir/StructureDefinition/follow-up-rule';

const SHORTCUTS: Record<string, InvariantShortcut> = {
  // que-2 (Questionnaire): the linkIds anywhere below the Questionnaire are distinct.
  'descendants().linkId.isDistinct()': (node) => distinctLinkIds(node),
  // pe-q-1 (our pre-op Questionnaire profile): every item, at any depth, has text.
  'repeat(item).all(text.exists())': (node) => everyNested(node, 'item', (item) => isString(item.text)),
  // pe-q-2: every answer option of every item is a Coding with a system and a code.
  'repeat(item).answerOption.all((value as Coding).exists() and (value as Coding).system.exists() and (value as Coding).code.exists())':
    (node) =>
      everyNested(node, 'item', (item) =>
        listOf(item.answerOption).every(
          (option) => isJsonObject(option.valueCoding) && isString(option.valueCoding.system) && isString(option.valueCoding.code),
        ),
      ),
  // pe-pd-2 (our education PlanDefinition profile): every action, at any depth, has a title and a description.
  'action.repeat(action).all(title.exists() and description.exists())': (node) =>
    everyNested(node, 'action', (action) => isString(action.title) && isString(action.description)),
  // pe-dr-2 (our education DocumentReference profile), on a CodeableConcept: codings, each with a system and a code.
  'coding.exists() and coding.all(system.exists() and code.exists())': (node) =>
    isJsonObject(node) &&
    Array.isArray(node.coding) &&
    node.coding.length > 0 &&
    node.coding.every((c) => isJsonObject(c) && isString(c.system) && isString(c.code)),
  // pe-q-3: an item without a code that a follow-up rule names sits inside an item with a code.
  [`repeat(item).where(code.empty() and %resource.extension('${FOLLOW_UP_RULE}').extension('expression').value.expression.join(' ').contains('\\'' + linkId + '\\'')).all(%resource.repeat(item).where(code.exists()).repeat(item).linkId contains linkId)`]:
    (node, resource) => namedUncodedItemsAreCovered(node, resource),
};

export function treeShortcutFor(expression: string): InvariantShortcut | undefined {
  return SHORTCUTS[expression.trim()];
}

/** Every linkId below `root` is a string, none repeats, and none has a primitive extension. */
function distinctLinkIds(root: unknown): boolean {
  const seen = new Set<string>();
  let certain = true;
  const visit = (value: unknown): void => {
    if (!certain) return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (!isJsonObject(value)) return;
    if (value !== root) {
      if (value._linkId !== undefined) certain = false;
      const linkId = value.linkId;
      if (linkId !== undefined) {
        if (!isString(linkId) || seen.has(linkId)) certain = false;
        else seen.add(linkId);
      }
    }
    for (const key in value) if (key !== 'linkId') visit(value[key]);
  };
  visit(root);
  return certain;
}

/** `repeat(name).all(test)`: everything reached through `name`, at any depth, is an object that passes. */
function everyNested(node: unknown, name: string, test: (child: Record<string, unknown>) => boolean): boolean {
  if (!isJsonObject(node)) return false;
  const children = node[name] === undefined ? [] : [node[name]].flat();
  if (!children.every(isJsonObject)) return false;
  for (const child of children) {
    if (!test(child) || !everyNested(child, name, test)) return false;
  }
  return true;
}

/** pe-q-3 on the Questionnaire itself (`node` is `%resource`). */
function namedUncodedItemsAreCovered(node: unknown, resource: unknown): boolean {
  if (!isJsonObject(node) || node !== resource) return false;
  const rulesText = listOf(node.extension)
    .filter((e) => e.url === FOLLOW_UP_RULE)
    .flatMap((e) => listOf(e.extension).filter((x) => x.url === 'expression'))
    .map((x) => (isJsonObject(x.valueExpression) ? x.valueExpression.expression : undefined))
    .filter(isString)
    .join(' ');
  const named: string[] = [];
  const covered = new Set<string>();
  let certain = true;
  const visit = (item: Record<string, unknown>, underCode: boolean): void => {
    const hasCode = listOf(item.code).length > 0;
    if (!isString(item.linkId) || item._linkId !== undefined || (item.code !== undefined && !hasCode)) certain = false;
    else {
      if (underCode) covered.add(item.linkId);
      if (!hasCode && rulesText.includes(`'${item.linkId}'`)) named.push(item.linkId);
    }
    for (const child of listOf(item.item)) visit(child, underCode || hasCode);
  };
  for (const item of listOf(node.item)) visit(item, false);
  return certain && named.every((linkId) => covered.has(linkId));
}

/** The objects of a JSON array (or the single object) under a name; nothing else. */
function listOf(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter(isJsonObject);
  return isJsonObject(value) ? [value] : [];
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
