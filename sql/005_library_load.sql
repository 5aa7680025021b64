-- The library (profiles/ and content/) as last loaded at start-up without a rejection: a hash
-- of what was read, and a hash of the version each of its resources had after the load. While
-- both still match, a start-up registers the library's SearchParameters but skips validating
-- and re-writing the unchanged resources (src/content/library-load-record.ts).
CREATE TABLE IF NOT EXISTS library_load (
  name        text        PRIMARY KEY,
  fingerprint text        NOT NULL,
  state       text        NOT NULL,
  loaded_at   timestamptz NOT NULL DEFAULT now()
);
