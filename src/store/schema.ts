import type { Generated } from 'kysely';
import type { SearchIndexTables } from './search/types';
import type { IndexRowBase } from './search/types/search-type-storage';

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

/** The index table of each search-parameter type comes with its type (store/search/types/). */
export interface DatabaseSchema extends SearchIndexTables {
  resource: ResourceTable;
  resource_history: ResourceHistoryTable;
  idx_translation: TranslationIndexTable;
  idx_fulltext: FulltextIndexTable;
  schema_migration: MigrationTable;
}
