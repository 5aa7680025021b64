/** The values of one resource for the search indexes, per parameter type (no SQL here). */
export interface TokenValue {
  param: string;
  system: string | null;
  code: string | null;
  text: string | null;
}
export interface StringValue {
  param: string;
  value: string;
  /** Case- and accent-folded form that searches compare against. */
  normalized: string;
}
export interface DateValue {
  param: string;
  start: string;
  end: string;
}
export interface ReferenceValue {
  param: string;
  targetType: string | null;
  targetId: string | null;
  url: string | null;
  version: string | null;
}
export interface UriValue {
  param: string;
  value: string;
}
export interface NumberValue {
  param: string;
  value: number;
  low: number;
  high: number;
}
export interface QuantityValue extends NumberValue {
  system: string | null;
  code: string | null;
  unit: string | null;
}
export interface CompositeValue {
  param: string;
  component1: string;
  component2: string;
  value2: number | null;
}
/** One mapping of a ConceptMap, source code onto target code (code translation in search). */
export interface TranslationValue {
  param: string;
  sourceSystem: string;
  sourceCode: string;
  targetSystem: string;
  targetCode: string;
}

export interface IndexValues {
  token: TokenValue[];
  string: StringValue[];
  date: DateValue[];
  reference: ReferenceValue[];
  uri: UriValue[];
  number: NumberValue[];
  quantity: QuantityValue[];
  composite: CompositeValue[];
  translation: TranslationValue[];
  /** Text of the narrative only (_text). */
  narrative: string;
  /** Narrative, every string of the resource and text attachments (_content). */
  content: string;
}

export function emptyIndexValues(): IndexValues {
  return {
    token: [],
    string: [],
    date: [],
    reference: [],
    uri: [],
    number: [],
    quantity: [],
    composite: [],
    translation: [],
    narrative: '',
    content: '',
  };
}
