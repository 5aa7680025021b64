import { parseSyntaxTree } from '../../fhir/fhirpath/evaluate';

/**
 * What applicability conditions can read of the inputs $apply hands them (workflows/apply-plan.ts:
 * the patient as context and %patient, %order, %response), found from their syntax trees:
 * - `patient`: the context or %patient (also %context, %resource, %rootResource) is read;
 * - `order`: `'all'` when %order is used other than as `%order.<element>`, else those elements;
 * - `response`: %response is read;
 * - `unknown`: an expression that could not be parsed, or uses syntax this reading does not
 *   know: then everything must be taken as read.
 * A value derived from an input counts as reading it (a function's arguments read what the
 * function is applied to), so the answer errs on the side of "read".
 */
export interface ConditionInputs {
  patient: boolean;
  order: 'all' | Set<string>;
  response: boolean;
  unknown: boolean;
}

interface Node {
  type: string;
  text?: string;
  children?: Node[];
}

/** Where a value comes from: 'context', 'order' (the whole %order), 'order.<element>', 'response'. */
type Roots = Set<string>;

const CONTEXT_CONSTANTS = new Set(['patient', 'context', 'resource', 'rootResource']);
/** Constants holding no input: code system and value set URLs, and the ones FHIRPath defines. */
const INERT_CONSTANT = /^(ucum|sct|loinc|vs-.*|ext-.*)$/;
/** Operators: the value derives from the operands, read at the same focus. */
const OPERATORS = new Set([
  'EntireExpression',
  'TermExpression',
  'ParenthesizedTerm',
  'IndexerExpression',
  'PolarityExpression',
  'MultiplicativeExpression',
  'AdditiveExpression',
  'UnionExpression',
  'InequalityExpression',
  'TypeExpression',
  'EqualityExpression',
  'MembershipExpression',
  'AndExpression',
  'OrExpression',
  'XorExpression',
  'ImpliesExpression',
]);
const NO_INPUT = new Set(['LiteralTerm', 'TypeSpecifier']);

class UnknownSyntax extends Error {}

function union(...sets: Roots[]): Roots {
  return new Set(sets.flatMap((s) => [...s]));
}

function rootsOf(node: Node, focus: Roots, read: Roots): Roots {
  const found = derive(node, focus, read);
  for (const root of found) read.add(root);
  return found;
}

function derive(node: Node, focus: Roots, read: Roots): Roots {
  const children = node.children ?? [];
  if (NO_INPUT.has(node.type)) return new Set();
  if (OPERATORS.has(node.type)) {
    // A type test or cast names its type in the second child (a TypeSpecifier): no input there.
    return union(...children.map((c) => rootsOf(c, focus, read)));
  }
  switch (node.type) {
    case 'ExternalConstantTerm': {
      const name = constantName(node);
      if (CONTEXT_CONSTANTS.has(name)) return new Set(['context']);
      if (name === 'order') return new Set(['order']);
      if (name === 'response') return new Set(['response']);
      if (INERT_CONSTANT.test(name)) return new Set();
      throw new UnknownSyntax(name);
    }
    case 'InvocationTerm':
      return invocation(children[0], focus, read);
    case 'InvocationExpression': {
      const member = children[1];
      // `%order.<element>`: only that element of the order is read.
      if (member?.type === 'MemberInvocation' && isOrderConstant(children[0])) return new Set([`order.${member.text ?? ''}`]);
      return invocation(member, rootsOf(children[0], focus, read), read);
    }
    default:
      throw new UnknownSyntax(node.type);
  }
}

function constantName(node: Node): string {
  return (node.text ?? '').replace(/^%/, '').replace(/^[`'"]|[`'"]$/g, '');
}

function isOrderConstant(node: Node | undefined): boolean {
  const term = node?.type === 'TermExpression' ? node.children?.[0] : undefined;
  return term?.type === 'ExternalConstantTerm' && constantName(term) === 'order';
}

/** A member, function or `$this` applied to `input`: the result derives from the input and the arguments. */
function invocation(node: Node | undefined, input: Roots, read: Roots): Roots {
  switch (node?.type) {
    case 'MemberInvocation':
    case 'ThisInvocation':
    case 'IndexInvocation':
    case 'TotalInvocation':
      return input;
    case 'FunctionInvocation': {
      const functn = node.children?.[0];
      const params = functn?.children?.find((c) => c.type === 'ParamList')?.children ?? [];
      return union(input, ...params.map((p) => rootsOf(p, input, read)));
    }
    default:
      throw new UnknownSyntax(node?.type ?? 'nothing');
  }
}

/** What the expressions can read; an expression that cannot be parsed counts as reading everything. */
export function conditionInputs(expressions: string[]): ConditionInputs {
  const read: Roots = new Set();
  try {
    for (const expression of expressions) rootsOf(parseSyntaxTree(expression) as Node, new Set(['context']), read);
  } catch {
    return { patient: true, order: 'all', response: true, unknown: true };
  }
  const orderElements = [...read].filter((r) => r.startsWith('order.')).map((r) => r.slice('order.'.length));
  return {
    patient: read.has('context'),
    order: read.has('order') ? 'all' : new Set(orderElements),
    response: read.has('response'),
    unknown: false,
  };
}
