-- The used-scopes report read every request of the last 30 days: 38 ms for
-- 93,000 requests, and a busy integration's page would outgrow the
-- statement timeout. The usage writer now notes each scope an integration
-- used, once per day, and the report reads those few rows.
create table usage_scopes (
    integration_id uuid not null references integrations (id) on delete cascade,
    day date not null,
    scope text not null,
    primary key (integration_id, day, scope)
);
comment on table usage_scopes is 'Scopes each integration''s requests passed (status below 400), per UTC day: the used-scopes report. Kept 30 days.';

insert into usage_scopes (integration_id, day, scope)
select distinct integration_id, (created_at at time zone 'UTC')::date, scope
from api_requests
where integration_id is not null and scope is not null and status < 400
  and integration_id in (select id from integrations);
