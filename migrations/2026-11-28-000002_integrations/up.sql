create table integrations (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    name text not null check (char_length(name) between 1 and 100),
    description text not null default '' check (char_length(description) <= 500),
    scopes text[] not null,
    token_lifetime_days integer check (token_lifetime_days in (30, 60, 90, 365)),
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz
);
create index integrations_account_idx on integrations (account_id, created_at) where deleted_at is null;
comment on column integrations.scopes is 'Scope names from the catalogue in code; checked on every API request, so edits apply at once.';
comment on column integrations.token_lifetime_days is 'Lifetime given to every token issued for the integration; NULL = no end.';
comment on column integrations.deleted_at is 'Soft delete: the row stays for the audit log, its tokens are revoked.';

create table access_tokens (
    id uuid primary key default gen_random_uuid(),
    integration_id uuid not null references integrations (id) on delete cascade,
    token_hash bytea not null,
    last_four text not null,
    created_at timestamptz not null default now(),
    created_by uuid references users (id) on delete set null,
    expires_at timestamptz,
    grace_ends_at timestamptz,
    revoked_at timestamptz,
    revoked_reason text,
    last_used_at timestamptz,
    last_used_ip text,
    rotated_from uuid references access_tokens (id) on delete set null,
    revealed_at timestamptz
);
create unique index access_tokens_hash_key on access_tokens (token_hash);
create index access_tokens_integration_idx on access_tokens (integration_id, created_at desc);
comment on column access_tokens.token_hash is 'SHA-256 of the whole token; the plaintext is never stored.';
comment on column access_tokens.last_four is 'Shown as pit_… + these four so people can tell tokens apart.';
comment on column access_tokens.expires_at is 'End of the lifetime chosen at creation; NULL = no end.';
comment on column access_tokens.grace_ends_at is 'Set by "rotate and expire later": the old token works until then. Cleared again by "cancel rotation".';
comment on column access_tokens.revoked_reason is 'rotated | expired_by_user | rotation_cancelled | deleted | inactive';
comment on column access_tokens.revealed_at is 'When the reveal page showed the plaintext; it is shown at most once, whatever the browser replays.';
comment on column access_tokens.rotated_from is 'The token this one replaced, which cancel rotation restores.';

alter table audit_events add column integration_id uuid references integrations (id) on delete set null;
create index audit_events_integration_idx on audit_events (integration_id, created_at desc) where integration_id is not null;
