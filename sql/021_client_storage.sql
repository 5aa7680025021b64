-- Bytes each client has stored through the API (every version it wrote), charged in the write's
-- transaction, so a refused or failed write leaves the total as it was (CLIENT_STORAGE_MAX_MB,
-- src/auth/client-storage.ts). The key is the token's issuer and client id.
create table if not exists client_storage (
  client     text        primary key,
  bytes      bigint      not null,
  updated_at timestamptz not null default now()
);
