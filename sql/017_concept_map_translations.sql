-- The mappings of every current ConceptMap, one row per source code -> target code, so that a
-- search on a code-translated parameter (`procedure`) also finds material coded with a target of
-- a site's ConceptMap. Derived data like the other index tables: written in the statement that
-- writes the ConceptMap, removed when it is updated or deleted, rebuilt by `npm run reindex`.
CREATE TABLE idx_translation (
  rid           bigint NOT NULL,
  resource_type text   NOT NULL,
  param         text   NOT NULL,
  source_system text   NOT NULL,
  source_code   text   NOT NULL,
  target_system text   NOT NULL,
  target_code   text   NOT NULL
);
CREATE INDEX idx_translation_source ON idx_translation (source_code, source_system, target_system, target_code);
CREATE INDEX idx_translation_rid ON idx_translation (rid);
