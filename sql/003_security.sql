-- Security: clients of the built-in SMART Backend Services token endpoint, the client
-- assertions already used (jti replay protection) and the server's own signing key.

-- A registered client authenticates with private_key_jwt: its public keys are a JWK Set
-- given at registration (jwks) or fetched from the client (jwks_url). `scope` is the most
-- a token may grant; `patient` / `fhir_user` are a fixed launch context for its tokens.
CREATE TABLE auth_client (
  client_id   text        PRIMARY KEY,
  jwks        text,
  jwks_url    text,
  scope       text        NOT NULL,
  patient     text,
  fhir_user   text,
  enabled     boolean     NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT auth_client_has_keys CHECK (jwks IS NOT NULL OR jwks_url IS NOT NULL)
);

-- One row per accepted client assertion, kept until the assertion expires: a second use of
-- the same (client_id, jti) is a replay and fails on the primary key.
CREATE TABLE auth_used_jti (
  client_id   text        NOT NULL,
  jti         text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX auth_used_jti_expires ON auth_used_jti (expires_at);

-- Key pair signing the access tokens of the built-in endpoint, generated at first start
-- (unless AUTH_SIGNING_KEY_FILE names one). The oldest row is the key in use.
CREATE TABLE auth_signing_key (
  kid          text        PRIMARY KEY,
  alg          text        NOT NULL,
  private_jwk  text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
