alter table users add column time_zone text not null default 'UTC';
comment on column users.time_zone is
  'IANA time zone name (checked against the tz database by the panel) in which the panel shows this user every time.';
