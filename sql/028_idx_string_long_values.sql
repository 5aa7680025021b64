-- A string index row keeps a bounded key in value_norm (src/fhir/search/index-key.ts: values over
-- 512 bytes end in a digest, since a B-tree entry holds at most about 2,700 bytes); the whole
-- normalised value of such a row is kept here, unindexed, for :contains. Null when value_norm is whole.
ALTER TABLE idx_string ADD COLUMN IF NOT EXISTS value_norm_full text;
