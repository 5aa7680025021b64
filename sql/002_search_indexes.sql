-- Search indexes, one table per search-parameter type. Rows belong to the current
-- version of a resource (rid) and are rewritten in the same transaction as the resource.
-- Every lookup index starts with (resource_type, param) and ends with rid, so a
-- selective search is an index-only range scan joined to resource by primary key.

CREATE TABLE idx_token (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  param         text   NOT NULL,
  system        text,
  code          text,
  text_norm     text
);
CREATE INDEX idx_token_code ON idx_token (resource_type, param, code, system, rid);
CREATE INDEX idx_token_system ON idx_token (resource_type, param, system, rid);
CREATE INDEX idx_token_rid ON idx_token (rid);

CREATE TABLE idx_string (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  param         text   NOT NULL,
  value_norm    text   NOT NULL,
  value         text   NOT NULL
);
CREATE INDEX idx_string_value ON idx_string (resource_type, param, value_norm text_pattern_ops, rid);
CREATE INDEX idx_string_rid ON idx_string (rid);

CREATE TABLE idx_date (
  rid           bigint      NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text        NOT NULL,
  param         text        NOT NULL,
  range_start   timestamptz NOT NULL,
  range_end     timestamptz NOT NULL
);
CREATE INDEX idx_date_start ON idx_date (resource_type, param, range_start, range_end, rid);
CREATE INDEX idx_date_end ON idx_date (resource_type, param, range_end, rid);
CREATE INDEX idx_date_rid ON idx_date (rid);

CREATE TABLE idx_reference (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  param         text   NOT NULL,
  target_type   text,
  target_id     text,
  url           text,
  version       text
);
CREATE INDEX idx_reference_target ON idx_reference (resource_type, param, target_id, target_type, rid);
CREATE INDEX idx_reference_url ON idx_reference (resource_type, param, url, rid);
CREATE INDEX idx_reference_reverse ON idx_reference (target_type, target_id);
CREATE INDEX idx_reference_rid ON idx_reference (rid);

CREATE TABLE idx_uri (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  param         text   NOT NULL,
  value         text   NOT NULL
);
CREATE INDEX idx_uri_value ON idx_uri (resource_type, param, value, rid);
CREATE INDEX idx_uri_rid ON idx_uri (rid);

CREATE TABLE idx_number (
  rid           bigint  NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text    NOT NULL,
  param         text    NOT NULL,
  value         numeric NOT NULL,
  range_low     numeric NOT NULL,
  range_high    numeric NOT NULL
);
CREATE INDEX idx_number_value ON idx_number (resource_type, param, value, rid);
CREATE INDEX idx_number_rid ON idx_number (rid);

CREATE TABLE idx_quantity (
  rid           bigint  NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text    NOT NULL,
  param         text    NOT NULL,
  value         numeric NOT NULL,
  range_low     numeric NOT NULL,
  range_high    numeric NOT NULL,
  system        text,
  code          text,
  unit          text
);
CREATE INDEX idx_quantity_value ON idx_quantity (resource_type, param, value, rid);
CREATE INDEX idx_quantity_rid ON idx_quantity (rid);

-- Composite parameters: one row per composite value, components kept as text keys
-- (token components as system|code and |code and code, others normalised) for equality.
CREATE TABLE idx_composite (
  rid           bigint NOT NULL REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text   NOT NULL,
  param         text   NOT NULL,
  component_1   text   NOT NULL,
  component_2   text   NOT NULL,
  value_2       numeric
);
CREATE INDEX idx_composite_value ON idx_composite (resource_type, param, component_1, component_2, rid);
CREATE INDEX idx_composite_rid ON idx_composite (rid);

-- Full text: narrative (_text) and narrative plus attachment and all string content (_content).
CREATE TABLE idx_fulltext (
  rid           bigint   PRIMARY KEY REFERENCES resource (rid) ON DELETE CASCADE,
  resource_type text     NOT NULL,
  narrative     tsvector NOT NULL,
  content       tsvector NOT NULL
);
CREATE INDEX idx_fulltext_narrative ON idx_fulltext USING gin (narrative);
CREATE INDEX idx_fulltext_content ON idx_fulltext USING gin (content);

-- Canonical references resolve through the `url` parameter of the target.
CREATE INDEX idx_uri_canonical ON idx_uri (value, rid) WHERE param = 'url';
CREATE INDEX idx_reference_canonical ON idx_reference (url) WHERE url IS NOT NULL;
