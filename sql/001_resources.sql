-- Current version of every resource. `content` holds the JSON exactly as it is served
-- (meta.versionId and meta.lastUpdated included), so reads return the stored bytes.
CREATE TABLE resource (
  rid           bigserial PRIMARY KEY,
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  deleted       boolean     NOT NULL DEFAULT false,
  content       text        NOT NULL,
  CONSTRAINT resource_type_id_unique UNIQUE (resource_type, id)
);

CREATE INDEX resource_type_last_updated ON resource (resource_type, last_updated, id) WHERE NOT deleted;
CREATE INDEX resource_type_id_live ON resource (resource_type, id) WHERE NOT deleted;
-- (It repeats the unique key for live rows, yet the planner needs it: without it a prefix string
-- search over 100k Patients planned a parallel sequential scan of `resource`; see
-- test/integration/search/explain.test.ts.)

-- Every version ever written, including deletions (content is NULL for a deletion).
CREATE TABLE resource_history (
  resource_type text        NOT NULL,
  id            text        NOT NULL,
  version_id    integer     NOT NULL,
  last_updated  timestamptz NOT NULL,
  method        text        NOT NULL,
  content       text,
  PRIMARY KEY (resource_type, id, version_id)
);

CREATE INDEX resource_history_last_updated ON resource_history (last_updated);
CREATE INDEX resource_history_type_last_updated ON resource_history (resource_type, last_updated);
