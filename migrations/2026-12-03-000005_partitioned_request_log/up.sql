-- The request log grows with every API call: partitioned by day, so the
-- 30-day retention drops whole partitions instead of deleting rows. Day
-- partitions are made at start-up and ahead by the maintenance sweep; the
-- DEFAULT partition catches anything outside them.
alter table api_requests rename to api_requests_unpartitioned;
alter index api_requests_pkey rename to api_requests_unpartitioned_pkey;
alter index api_requests_integration_idx rename to api_requests_unpartitioned_integration_idx;
alter index api_requests_created_idx rename to api_requests_unpartitioned_created_idx;
alter table api_requests_unpartitioned rename constraint api_requests_outcome_check to api_requests_unpartitioned_outcome_check;
alter sequence api_requests_id_seq owned by none;

create table api_requests (
    id bigint not null default nextval('api_requests_id_seq'),
    account_id uuid not null references accounts (id) on delete cascade,
    integration_id uuid references integrations (id) on delete cascade,
    token_id uuid references access_tokens (id) on delete set null,
    legacy_key_id uuid references legacy_api_keys (id) on delete set null,
    method text not null,
    route text not null,
    status smallint not null,
    duration_ms integer not null,
    ip text not null,
    scope text,
    created_at timestamptz not null default now(),
    outcome text not null default 'used'
        check (outcome in ('used', 'invalid_token', 'ip_not_allowed', 'rate_limited')),
    primary key (id, created_at)
) partition by range (created_at);
alter sequence api_requests_id_seq owned by api_requests.id;
create table api_requests_default partition of api_requests default;
create index api_requests_integration_idx on api_requests (integration_id, created_at desc);
create index api_requests_created_idx on api_requests (created_at);

insert into api_requests
    select id, account_id, integration_id, token_id, legacy_key_id, method, route, status,
           duration_ms, ip, scope, created_at, outcome
    from api_requests_unpartitioned;
drop table api_requests_unpartitioned;

comment on table api_requests is 'One row per API request with a known credential, refusals included; kept 30 days. Partitioned by UTC day (api_requests_pYYYYMMDD), with a DEFAULT partition as a safety net.';
comment on column api_requests.legacy_key_id is 'Set for API v1 requests, made with the account key instead of a token.';
comment on column api_requests.route is 'The matched route pattern (e.g. /v2/contacts/{contactId}), never the query string.';
comment on column api_requests.scope is 'The scope the route required, for the used-scopes report.';
comment on column api_requests.outcome is 'used, or why authentication refused the request. A missing-scope 403 is a use; only a use moves the token''s last use.';
