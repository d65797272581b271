create table webhook_endpoints (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    integration_id uuid not null references integrations (id) on delete cascade,
    url text not null,
    events text[] not null,
    secret_sealed bytea not null,
    previous_secret_sealed bytea,
    previous_secret_until timestamptz,
    secret_shown_at timestamptz,
    enabled boolean not null default true,
    disabled_reason text,
    failing_since timestamptz,
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint webhook_endpoints_events_check
        check (cardinality(events) > 0
               and events <@ array['ContactCreate', 'ContactUpdate', 'ContactDelete']::text[]),
    constraint webhook_endpoints_disabled_reason_check
        check (disabled_reason in ('user', 'failing')),
    constraint webhook_endpoints_disabled_together_check
        check (enabled = (disabled_reason is null)),
    constraint webhook_endpoints_previous_together_check
        check ((previous_secret_sealed is null) = (previous_secret_until is null))
);
create index webhook_endpoints_integration_idx on webhook_endpoints (integration_id, created_at);
create index webhook_endpoints_account_idx on webhook_endpoints (account_id) where enabled;
comment on table webhook_endpoints is 'Where an integration''s events are POSTed, Standard Webhooks style.';
comment on column webhook_endpoints.secret_sealed is 'The signing secret (whsec_…), encrypted with SECRETS_KEY (XChaCha20-Poly1305: nonce then ciphertext); never stored in plaintext.';
comment on column webhook_endpoints.previous_secret_sealed is 'After a roll, the old secret still signs until previous_secret_until, so receivers can switch without a gap.';
comment on column webhook_endpoints.secret_shown_at is 'When the current secret was shown; it is shown once.';
comment on column webhook_endpoints.failing_since is 'First failed attempt since the last success; five days of nothing but failures disables the endpoint.';

create table webhook_events (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    event_type text not null,
    payload jsonb not null,
    created_at timestamptz not null default now()
);
create index webhook_events_created_idx on webhook_events (created_at);
comment on table webhook_events is 'The outbox: one row per change that endpoints may subscribe to, written in the change''s transaction.';
comment on column webhook_events.payload is 'The body to deliver, in HighLevel''s flat shape ({"type", "locationId", "id", ...contact fields}).';

create table webhook_deliveries (
    id uuid primary key default gen_random_uuid(),
    endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
    event_id uuid not null references webhook_events (id) on delete cascade,
    state text not null default 'pending',
    attempts integer not null default 0,
    max_attempts integer,
    next_attempt_at timestamptz,
    lease_until timestamptz,
    is_test boolean not null default false,
    created_at timestamptz not null default now(),
    finished_at timestamptz,
    constraint webhook_deliveries_state_check check (state in ('pending', 'succeeded', 'failed')),
    constraint webhook_deliveries_pending_check check ((state = 'pending') = (next_attempt_at is not null))
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where state = 'pending';
create index webhook_deliveries_endpoint_idx on webhook_deliveries (endpoint_id, created_at desc);
comment on table webhook_deliveries is 'One event to one endpoint; its id is the webhook-id header, the same on every attempt.';
comment on column webhook_deliveries.lease_until is 'A worker that claimed the delivery holds it until then; after a crash another picks it up.';
comment on column webhook_deliveries.max_attempts is 'NULL: as many attempts as WEBHOOK_RETRY_SCHEDULE gives; a resend sets it to one more than made so far.';

create table webhook_attempts (
    id bigserial primary key,
    delivery_id uuid not null references webhook_deliveries (id) on delete cascade,
    attempt integer not null,
    started_at timestamptz not null,
    duration_ms integer not null,
    status_code smallint,
    error text,
    response_excerpt text not null default '',
    constraint webhook_attempts_outcome_check check (status_code is not null or error is not null)
);
create index webhook_attempts_delivery_idx on webhook_attempts (delivery_id, attempt);
comment on table webhook_attempts is 'Every delivery attempt: status or error, duration and the first 1 KB of the answer.';
