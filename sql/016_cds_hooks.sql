-- CDS Hooks (docs/cds-hooks.md): the CDS clients this server trusts, the authentication JWTs
-- they already used, the cards offered and the feedback on them.

-- A trusted CDS client, identified by the `iss` of its JWTs. Its public keys are a JWK Set
-- given at registration (jwks) or published at jwks_url; jku_allow_list (a JSON array of
-- URLs) lists the `jku` header values it may send (the jwks_url is always allowed).
CREATE TABLE cds_client (
  issuer          text        PRIMARY KEY,
  jwks            text,
  jwks_url        text,
  jku_allow_list  text        NOT NULL DEFAULT '[]',
  enabled         boolean     NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT cds_client_has_keys CHECK (jwks IS NOT NULL OR jwks_url IS NOT NULL)
);

-- One row per accepted JWT, kept until it expires: a second use of the same (issuer, jti),
-- on this instance or any other, fails on the primary key.
CREATE TABLE cds_used_jti (
  issuer      text        NOT NULL,
  jti         text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (issuer, jti)
);
CREATE INDEX cds_used_jti_expires ON cds_used_jti (expires_at);

-- One row per card returned by a CDS service (no patient data: the plan it offers).
CREATE TABLE cds_card (
  card_uuid      text        PRIMARY KEY,
  service_id     text        NOT NULL,
  hook_instance  text        NOT NULL,
  plan_id        text        NOT NULL,
  issuer         text,
  offered_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cds_card_offered_at ON cds_card (offered_at);

-- One row per feedback item (CDS Hooks "Feedback"): a client may send several for one card.
CREATE TABLE cds_feedback (
  id                     bigserial   PRIMARY KEY,
  service_id             text        NOT NULL,
  card_uuid              text        NOT NULL,
  outcome                text        NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
  accepted_suggestions   text        NOT NULL DEFAULT '[]',
  override_reason_system text,
  override_reason_code   text,
  override_comment       text,
  outcome_timestamp      timestamptz NOT NULL,
  issuer                 text,
  received_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cds_feedback_card ON cds_feedback (card_uuid);
