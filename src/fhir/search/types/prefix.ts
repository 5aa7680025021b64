import type { Prefix } from '../search-request';

const PREFIXES: Prefix[] = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'];

/** R4 search.html#prefix: the comparison a date, number or quantity value starts with (`eq` when none). */
export function parsePrefix(value: string): [Prefix, string] {
  const p = value.slice(0, 2) as Prefix;
  if (PREFIXES.includes(p) && value.length > 2 && !/^[0-9]/.test(p)) return [p, value.slice(2)];
  return ['eq', value];
}
