import { SEARCH_PARAMETER_TYPES, type IndexValuesByType } from './types';

/** The values of one resource for the search indexes, per parameter type (no SQL here). */
export type { TokenValue } from './types/token';
export type { StringValue } from './types/string';
export type { DateValue } from './types/date';
export type { ReferenceValue } from './types/reference';
export type { UriValue } from './types/uri';
export type { NumberIndexValue as NumberValue } from './types/number';
export type { QuantityValue } from './types/quantity';
export type { CompositeValue } from './types/composite';

/** One mapping of a ConceptMap, source code onto target code (code translation in search). */
export interface TranslationValue {
  param: string;
  sourceSystem: string;
  sourceCode: string;
  targetSystem: string;
  targetCode: string;
}

export interface IndexValues extends IndexValuesByType {
  translation: TranslationValue[];
  /** Text of the narrative only (_text). */
  narrative: string;
  /** Narrative, every string of the resource and text attachments (_content). */
  content: string;
}

const PARAMETER_TYPES = Object.keys(SEARCH_PARAMETER_TYPES) as (keyof IndexValuesByType)[];

export function emptyIndexValues(): IndexValues {
  const values = {} as IndexValues;
  for (const type of PARAMETER_TYPES) values[type] = [];
  values.translation = [];
  values.narrative = '';
  values.content = '';
  return values;
}

/** The number of rows a resource's values give in the parameter types' index tables. */
export function indexValueCount(values: IndexValues): number {
  let count = 0;
  for (const type of PARAMETER_TYPES) count += values[type].length;
  return count;
}
