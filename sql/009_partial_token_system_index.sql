-- idx_token_system costs a B-tree insert for every token row written (B-tree inserts were about
-- a third of PostgreSQL's CPU in a bulk load), and no search needs it in full:
-- it serves searches by system alone (`param=system|`) and by system and code
-- where the code index is not chosen; both compare `system` with a value, which a row without a
-- system can never match. 31k of the 56k token rows of a 10k store have none (status and other
-- `code` values). Searches for `|code` (no system) are served by idx_token_code.
CREATE INDEX IF NOT EXISTS idx_token_system_present ON idx_token (resource_type, param, system, rid) WHERE system IS NOT NULL;
DROP INDEX IF EXISTS idx_token_system;
