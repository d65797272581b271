create table alerts (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    integration_id uuid not null references integrations (id) on delete cascade,
    kind text not null,
    token_id uuid not null references access_tokens (id) on delete cascade,
    ip text not null,
    day date not null,
    created_at timestamptz not null default now(),
    dismissed_at timestamptz,
    dismissed_by uuid references users (id) on delete set null,
    constraint alerts_kind_check check (kind in ('revoked_token_used', 'new_ip'))
);
create unique index alerts_once_a_day_idx on alerts (integration_id, kind, token_id, ip, day);
create index alerts_open_idx on alerts (account_id, integration_id) where dismissed_at is null;
comment on table alerts is 'Suspicious use found by the usage writer: a dead token tried, or a new client address.';
comment on column alerts.day is 'The UTC day of the request; with the unique index, at most one alert per token, address and day, however many instances find it.';
comment on column alerts.dismissed_at is 'When an editor hid the banner; the audit log keeps the alert either way.';

-- Whether an address was seen for an integration is asked for each new
-- address the usage writer meets.
create index api_requests_integration_ip_idx on api_requests (integration_id, ip, created_at);
