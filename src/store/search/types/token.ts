import { sql } from 'kysely';
import { indexKey } from '../../../fhir/search/index-key';
import type { TokenFilter, TokenMatch, TokenValue } from '../../../fhir/search/types/token';
import { and, escapeLike, or, typeCondition, type Condition } from '../sql-conditions';
import type { IndexRowBase, SearchTypeStorage } from './search-type-storage';

export interface TokenIndexTable extends IndexRowBase {
  system: string | null;
  code: string | null;
  text_norm: string | null;
}

export const token: SearchTypeStorage<TokenFilter, TokenValue> = {
  rows: {
    table: 'idx_token',
    columns: [
      ['system', 'text', (v) => indexKey(v.system)],
      ['code', 'text', (v) => indexKey(v.code)],
      ['text_norm', 'text', (v) => v.text],
    ],
  },
  where(filter, types, rid) {
    const param = filter.modifier === 'of-type' ? `${filter.param}:of-type` : filter.param;
    const lookup = (match: Condition) =>
      sql`${rid} in (select t.rid from idx_token t where ${typeCondition('t.resource_type', types)} and t.param = ${param} and ${match})`;
    switch (filter.modifier) {
      case 'text':
        return lookup(
          or(filter.texts.map((text) => sql`(t.text_norm like ${escapeLike(text) + '%'} or t.text_norm like ${'% ' + escapeLike(text) + '%'})`)),
        );
      case 'not':
        // R4: :not matches resources without any matching value, including those with no value.
        return sql`not ${lookup(tokenMatches(filter.values))}`;
      case 'not-in':
        return sql`not ${lookup(tokenMatches(filter.values))}`;
      default:
        return filter.translated ? translatedTokenCondition(filter, types, rid) : lookup(tokenMatches(filter.values));
    }
  },
  sort: { ascending: 'min(x.code)', descending: 'max(x.code)', cast: 'text', empty: "''" },
  mayUseGenericPlan(filter) {
    return filter.modifier === 'none' && filter.values.length > 0 && filter.values.every((v) => v.code !== undefined);
  },
};

function tokenMatch(m: TokenMatch): Condition {
  const parts: Condition[] = [];
  if (m.code !== undefined) parts.push(sql`t.code = ${indexKey(m.code)}`);
  if (m.system === null) parts.push(sql`t.system is null`);
  else if (m.system !== undefined) parts.push(sql`t.system = ${indexKey(m.system)}`);
  return and(parts);
}

function tokenMatches(values: TokenMatch[]): Condition {
  // Plain codes (any system) become one `= any(array)`: long OR lists stay one index scan.
  const plainCodes = values.filter((v) => v.system === undefined && v.code !== undefined).map((v) => indexKey(v.code!));
  const others = values.filter((v) => !(v.system === undefined && v.code !== undefined));
  const conditions: Condition[] = [];
  if (plainCodes.length > 0) conditions.push(sql`t.code = any(${plainCodes})`);
  const bySystem = new Map<string, string[]>();
  for (const v of others) {
    if (typeof v.system === 'string' && v.code !== undefined) {
      const system = indexKey(v.system);
      bySystem.set(system, [...(bySystem.get(system) ?? []), indexKey(v.code)]);
    } else conditions.push(tokenMatch(v));
  }
  for (const [system, codes] of bySystem) {
    conditions.push(codes.length === 1 ? sql`(t.system = ${system} and t.code = ${codes[0]})` : sql`(t.system = ${system} and t.code = any(${codes}))`);
  }
  return or(conditions);
}

/**
 * A token search that also matches through stored ConceptMaps: the resources coded with a value,
 * and those coded with a target that a current ConceptMap maps a value onto (idx_translation,
 * written with the ConceptMap in its transaction, so every instance sees a map from its commit on).
 * The second branch starts from the source code's index, then the target's.
 */
function translatedTokenCondition(filter: TokenFilter, types: string[], rid: Condition): Condition {
  const direct = sql`select t.rid from idx_token t where ${typeCondition('t.resource_type', types)} and t.param = ${filter.param} and ${tokenMatches(filter.values)}`;
  const sources = filter.values
    .filter((v) => v.code !== undefined && v.system !== null)
    .map((v) => {
      const code = indexKey(v.code!);
      return typeof v.system === 'string' ? sql`(m.source_code = ${code} and m.source_system = ${indexKey(v.system)})` : sql`m.source_code = ${code}`;
    });
  if (sources.length === 0) return sql`${rid} in (${direct})`;
  return sql`${rid} in (${direct} union all
    select t.rid from idx_translation m join idx_token t on t.code = m.target_code and t.system = m.target_system
      where ${or(sources)} and ${typeCondition('t.resource_type', types)} and t.param = ${filter.param})`;
}
