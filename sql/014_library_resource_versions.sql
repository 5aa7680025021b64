-- The version each resource of the library (profiles/ and content/) had right after the load
-- that last wrote it from its file. A stored version other than this one was made through the
-- API since: a local edit, which start-up loads keep (src/content/library-load-record.ts).
CREATE TABLE IF NOT EXISTS library_resource (
  resource_type text    NOT NULL,
  id            text    NOT NULL,
  version_id    integer NOT NULL,
  PRIMARY KEY (resource_type, id)
);
