-- A search whose filters find its rids in the index tables (an owner's task queue: ~1,200
-- Tasks, at any size of the store) orders and pages them by keys of `resource`. These indexes
-- let it do that from indexes alone, without reading a body it does not return:
--
-- the sort keys of every live resource by rid (`_lastUpdated`, and id and rid, which break ties);
CREATE INDEX IF NOT EXISTS resource_rid_keys ON resource (rid) INCLUDE (resource_type, last_updated, id) WHERE NOT deleted;

-- a reference lookup answered from the index, `url` included for the local-reference check
-- (replaces idx_reference_target, same key);
CREATE INDEX IF NOT EXISTS idx_reference_target_url ON idx_reference (resource_type, param, target_id, target_type, rid) INCLUDE (url);
DROP INDEX IF EXISTS idx_reference_target;
