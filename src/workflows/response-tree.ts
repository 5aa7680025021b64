import type { QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4';

/**
 * One item of a QuestionnaireResponse, with its FHIRPath location and its place in the tree.
 * Items nested in a group are `itemChildren`; items nested in a question sit under each answer
 * (R4 questionnaireresponse.html#nesting), one list per answer in `answerChildren`.
 */
export interface ResponseNode {
  item: QuestionnaireResponseItem;
  linkId: string;
  /** e.g. `QuestionnaireResponse.item[1].item[0]` */
  path: string;
  parent: ResponseNode | undefined;
  itemChildren: ResponseNode[];
  answerChildren: ResponseNode[][];
}

export function buildResponseTree(response: QuestionnaireResponse): ResponseNode[] {
  return buildNodes(response.item, undefined, 'QuestionnaireResponse');
}

function buildNodes(
  items: QuestionnaireResponseItem[] | undefined,
  parent: ResponseNode | undefined,
  basePath: string,
): ResponseNode[] {
  return (items ?? []).map((item, i) => {
    const path = `${basePath}.item[${i}]`;
    const node: ResponseNode = {
      item,
      linkId: item.linkId,
      path,
      parent,
      itemChildren: [],
      answerChildren: [],
    };
    node.itemChildren = buildNodes(item.item, node, path);
    node.answerChildren = (item.answer ?? []).map((answer, j) =>
      buildNodes(answer.item, node, `${path}.answer[${j}]`),
    );
    return node;
  });
}

export function childrenOf(node: ResponseNode): ResponseNode[] {
  return [...node.itemChildren, ...node.answerChildren.flat()];
}

/** Depth-first, in document order: the node itself, then its descendants. */
export function* walk(nodes: ResponseNode[]): Generator<ResponseNode> {
  for (const node of nodes) {
    yield node;
    yield* walk(childrenOf(node));
  }
}

/** True when the node or any descendant carries an answer. */
export function hasAnswers(node: ResponseNode): boolean {
  return (node.item.answer?.length ?? 0) > 0 || childrenOf(node).some(hasAnswers);
}
