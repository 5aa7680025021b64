-- The index tables' rows are derived data: only the store writes them, in the statement that
-- writes their resource's row, inside the same transaction; a resource row is never removed (a
-- deletion keeps it, flagged), and `npm run reindex` rebuilds them all. Their foreign keys to
-- `resource` checked every index row with a trigger and a key-share lock on the resource row:
-- about 9% of PostgreSQL's CPU in a bulk load of 100k resources (perf, `AfterTriggerEndQuery`),
-- with 15-20 index rows per resource. Searches join index rows to `resource` by rid, so a row
-- without its resource could never be returned.
ALTER TABLE idx_token DROP CONSTRAINT IF EXISTS idx_token_rid_fkey;
ALTER TABLE idx_string DROP CONSTRAINT IF EXISTS idx_string_rid_fkey;
ALTER TABLE idx_date DROP CONSTRAINT IF EXISTS idx_date_rid_fkey;
ALTER TABLE idx_reference DROP CONSTRAINT IF EXISTS idx_reference_rid_fkey;
ALTER TABLE idx_uri DROP CONSTRAINT IF EXISTS idx_uri_rid_fkey;
ALTER TABLE idx_number DROP CONSTRAINT IF EXISTS idx_number_rid_fkey;
ALTER TABLE idx_quantity DROP CONSTRAINT IF EXISTS idx_quantity_rid_fkey;
ALTER TABLE idx_composite DROP CONSTRAINT IF EXISTS idx_composite_rid_fkey;
ALTER TABLE idx_fulltext DROP CONSTRAINT IF EXISTS idx_fulltext_rid_fkey;
