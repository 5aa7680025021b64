-- The stored JSON of a resource (and of each version) is compressed by TOAST when it is large:
-- the education library's DocumentReferences and Questionnaires are. PostgreSQL's default,
-- pglz, was 5% of PostgreSQL's CPU while loading the library, and every read of a large
-- resource decompresses it. lz4 compresses and decompresses several times faster, at a
-- similar size. It applies to values written from now on; older ones stay as they are and
-- are read as before.
--
-- A server built without lz4 support (PGlite, the embedded database) refuses the setting:
-- it keeps pglz, and the migration is still recorded as applied.
DO $$
BEGIN
  ALTER TABLE resource ALTER COLUMN content SET COMPRESSION lz4;
  ALTER TABLE resource_history ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available here: resource content stays compressed with pglz';
END
$$;
