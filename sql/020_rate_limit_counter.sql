-- Requests per client and minute, counted by every server instance together (RATE_LIMIT_STORE=database).
create table if not exists rate_limit_counter (
  key text not null,
  window_start bigint not null,
  hits integer not null,
  primary key (key, window_start)
);
