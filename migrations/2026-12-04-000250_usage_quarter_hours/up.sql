-- Requests per integration per quarter of an hour, so the usage chart can
-- count days as they fall in the reader's time zone (every zone's offset
-- from UTC is a whole number of quarter hours); `usage_daily` keeps the
-- UTC days. Kept as long as the request log, from which it is back-filled.
create table usage_quarter_hours (
    integration_id uuid not null references integrations (id) on delete cascade,
    starts_at timestamptz not null,
    requests bigint not null default 0,
    errors bigint not null default 0,
    primary key (integration_id, starts_at)
);

insert into usage_quarter_hours (integration_id, starts_at, requests, errors)
select integration_id,
       date_bin('15 minutes', created_at, timestamptz '2000-01-01 00:00:00+00'),
       count(*),
       count(*) filter (where status >= 400)
from api_requests
where integration_id in (select id from integrations)
  and created_at >= now() - interval '30 days'
group by 1, 2;

comment on table usage_quarter_hours is 'API requests and errors per integration per quarter hour (UTC-aligned), for the usage chart in each reader''s time zone; kept 30 days.';
