/**
 * Shortcuts for FHIRPath invariants that are true whenever the elements they test are absent,
 * the common case: `lastModified.exists().not() or …` (tsk inv-1) when the Task has no
 * `lastModified`, `contained.contained.empty()` (dom-2) when the resource contains nothing,
 * `(answer.exists() and item.exists()).not()` (qrs-1), `X.exists() implies …`. A shortcut only
 * ever says "certainly true"; every other case is evaluated by the engines (invariants.ts).
 * Checking a property takes nanoseconds where an engine evaluation takes tens of microseconds,
 * and the R4 datatype and DomainResource invariants run on every element of every write.
 *
 * The grammar understood is deliberately small: a top-level disjunction (`or`) or implication
 * (`implies`) of terms over plain child names (no strings, no functions besides the ones below).
 * An expression outside it gets no shortcut, unless it is one of the tree-walking invariants of
 * tree-shortcuts.ts.
 */
import { treeShortcutFor } from './tree-shortcuts';
import { isJsonObject } from './json-values';

/** True only when the invariant certainly holds on `node` (`resource`: the resource it is in). */
export type InvariantShortcut = (node: unknown, resource?: unknown) => boolean;

const NAME = '[a-z][A-Za-z0-9]*';
/** `a.exists().not()`, `a.hasValue().not()`, `a.empty()`: true when `a` is absent. */
const ABSENT_TERM = new RegExp(`^(${NAME})\\.(?:(?:exists|hasValue)\\(\\)\\.not\\(\\)|empty\\(\\))$`);
/** `(a.exists() and b.exists()).not()`: true when either is absent. */
const NOT_BOTH_TERM = new RegExp(`^\\((${NAME})\\.exists\\(\\) and (${NAME})\\.exists\\(\\)\\)\\.not\\(\\)$`);
/** `contained.meta.versionId.empty()`-style terms joined by `and`: true when `contained` is absent. */
const CONTAINED_ONLY =
  /^contained(\.[a-z][A-Za-z]*)+\.empty\(\)( and contained(\.[a-z][A-Za-z]*)+\.empty\(\))*$/;
/** `a.exists()` or `(a.exists() or b.exists() …)` as the condition of `implies`: false when all are absent. */
const EXISTS_CONDITION = new RegExp(
  `^(?:(${NAME})\\.exists\\(\\)|\\((${NAME}\\.exists\\(\\)(?: or ${NAME}\\.exists\\(\\))*)\\))$`,
);
/** ref-1 of Reference: true for every reference that is not a local one (`#id`). */
const REF_1 =
  /^reference\.startsWith\('#'\)\.not\(\) or \(reference\.substring\(1\)(\.trace\('\w+'\))? in %rootResource\.contained\.id(\.trace\('\w+'\))?\)$/;

export function shortcutFor(expression: string): InvariantShortcut | undefined {
  const text = expression.trim();
  const tree = treeShortcutFor(text);
  if (tree) return tree;
  if (REF_1.test(text)) {
    return (node) => {
      const reference = isJsonObject(node) ? node.reference : undefined;
      return typeof reference === 'string' && !reference.startsWith('#');
    };
  }
  if (/['"`\\]/.test(text)) return undefined;
  if (CONTAINED_ONLY.test(text)) return (node) => isJsonObject(node) && isAbsent(node, 'contained');

  const implication = splitTopLevel(text, ' implies ');
  if (implication.length === 2) {
    const names = conditionNames(implication[0]);
    if (!names) return undefined;
    return (node) => isJsonObject(node) && names.every((name) => isAbsent(node, name));
  }
  if (implication.length > 2) return undefined;

  const terms = splitTopLevel(text, ' or ')
    .map(termShortcut)
    .filter((t): t is InvariantShortcut => t !== undefined);
  if (terms.length === 0) return undefined;
  return (node) => terms.some((term) => term(node));
}

/** A shortcut for one term of a disjunction: enough that one term is true. */
function termShortcut(term: string): InvariantShortcut | undefined {
  const absent = ABSENT_TERM.exec(term);
  if (absent) {
    const name = absent[1];
    return (node) => isJsonObject(node) && isAbsent(node, name);
  }
  const notBoth = NOT_BOTH_TERM.exec(term);
  if (notBoth) {
    const [, a, b] = notBoth;
    return (node) => isJsonObject(node) && (isAbsent(node, a) || isAbsent(node, b));
  }
  return undefined;
}

function conditionNames(condition: string): string[] | undefined {
  const match = EXISTS_CONDITION.exec(condition.trim());
  if (!match) return undefined;
  if (match[1]) return [match[1]];
  return match[2].split(' or ').map((t) => t.replace('.exists()', '').trim());
}

/** Splits at `separator` outside parentheses. */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i).trim());
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** Neither the element nor its primitive extension (`_name`) is in the JSON object. */
function isAbsent(node: Record<string, unknown>, name: string): boolean {
  return node[name] === undefined && node[`_${name}`] === undefined;
}
