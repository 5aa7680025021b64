import type { Generated } from 'kysely';

/** Kysely's view of the tables created by sql/. */
export interface ResourceTable {
  rid: Generated<string>;
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date | string;
  deleted: boolean;
  content: string;
}

export interface ResourceHistoryTable {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date | string;
  method: string;
  content: string | null;
}

interface IndexRowBase {
  rid: string;
  resource_type: string;
  param: string;
}

export interface TokenIndexTable extends IndexRowBase {
  system: string | null;
  code: string | null;
  text_norm: string | null;
}
export interface StringIndexTable extends IndexRowBase {
  value_norm: string;
  /** The whole normalised value when value_norm is a shortened key (indexKey), otherwise null. */
  value_norm_full: string | null;
  value: string;
}
export interface DateIndexTable extends IndexRowBase {
  range_start: string;
  range_end: string;
}
export interface ReferenceIndexTable extends IndexRowBase {
  target_type: string | null;
  target_id: string | null;
  url: string | null;
  version: string | null;
}
export interface UriIndexTable extends IndexRowBase {
  value: string;
}
export interface NumberIndexTable extends IndexRowBase {
  value: string;
  range_low: string;
  range_high: string;
}
export interface QuantityIndexTable extends NumberIndexTable {
  system: string | null;
  code: string | null;
  unit: string | null;
}
export interface CompositeIndexTable extends IndexRowBase {
  component_1: string;
  component_2: string;
  value_2: string | null;
}
export interface TranslationIndexTable extends IndexRowBase {
  source_system: string;
  source_code: string;
  target_system: string;
  target_code: string;
}
export interface FulltextIndexTable {
  rid: string;
  resource_type: string;
  narrative: string;
  content: string;
}

export interface MigrationTable {
  name: string;
  applied_at: Generated<Date>;
}

export interface DatabaseSchema {
  resource: ResourceTable;
  resource_history: ResourceHistoryTable;
  idx_token: TokenIndexTable;
  idx_string: StringIndexTable;
  idx_date: DateIndexTable;
  idx_reference: ReferenceIndexTable;
  idx_uri: UriIndexTable;
  idx_number: NumberIndexTable;
  idx_quantity: QuantityIndexTable;
  idx_composite: CompositeIndexTable;
  idx_translation: TranslationIndexTable;
  idx_fulltext: FulltextIndexTable;
  schema_migration: MigrationTable;
}
