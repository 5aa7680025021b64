import type { ConceptMap, ConceptMapGroupElementTarget } from 'fhir/r4';
import type { TranslationValue } from '../search/index-values';

/** Equivalences that say the source code does not mean the target (R4 concept-map-equivalence). */
const NOT_A_MATCH = new Set(['unmatched', 'disjoint']);

/** Whether a ConceptMap target says its source code may be read as the target code. */
export function isMatch(target: ConceptMapGroupElementTarget): boolean {
  return target.code !== undefined && !NOT_A_MATCH.has(target.equivalence);
}

/**
 * The mappings of a ConceptMap that search follows: every source code onto every target code
 * that matches it, in groups that name both systems. A retired map maps nothing.
 */
export function conceptMapTranslations(conceptMap: ConceptMap): TranslationValue[] {
  if (conceptMap.status === 'retired') return [];
  const out: TranslationValue[] = [];
  for (const group of conceptMap.group ?? []) {
    if (!group.source || !group.target) continue;
    for (const element of group.element ?? []) {
      if (!element.code) continue;
      for (const target of element.target ?? []) {
        if (!isMatch(target)) continue;
        out.push({ param: 'translation', sourceSystem: group.source, sourceCode: element.code, targetSystem: group.target, targetCode: target.code! });
      }
    }
  }
  return out;
}
