create table accounts (
    id uuid primary key default gen_random_uuid(),
    name text not null check (char_length(name) between 1 and 100),
    inactivity_expiry_days integer default 90 check (inactivity_expiry_days in (30, 60, 90)),
    created_at timestamptz not null default now()
);
comment on column accounts.id is 'Also the locationId and companyId of API v2.';
comment on column accounts.inactivity_expiry_days is 'Tokens unused for this many days stop working; NULL turns the rule off.';

create table users (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    email text not null,
    password_hash text not null,
    role text not null check (role in ('owner', 'admin', 'viewer')),
    created_at timestamptz not null default now(),
    last_login_at timestamptz
);
create unique index users_email_key on users (lower(email));
create index users_account_id_idx on users (account_id);
comment on column users.email is 'Stored lower-cased; the unique index on lower(email) keeps it case-insensitive.';
comment on column users.password_hash is 'Argon2id PHC string.';

create table sessions (
    id bytea primary key,
    state jsonb not null,
    user_id uuid references users (id) on delete cascade,
    expires_at timestamptz not null,
    created_at timestamptz not null default now()
);
create index sessions_expires_at_idx on sessions (expires_at);
create index sessions_user_id_idx on sessions (user_id);
comment on column sessions.id is 'SHA-256 of the session cookie value, so a copy of this table signs nobody in.';
comment on column sessions.user_id is 'Copied out of state so that removing a user or changing a password ends their sessions.';

create table server_secrets (
    name text primary key,
    value bytea not null,
    created_at timestamptz not null default now()
);
comment on table server_secrets is 'Keys generated once when configuration gives none, shared by every instance.';

create table login_attempts (
    id bigserial primary key,
    email text not null,
    ip text not null,
    succeeded boolean not null,
    attempted_at timestamptz not null default now()
);
create index login_attempts_email_idx on login_attempts (email, attempted_at);
create index login_attempts_ip_idx on login_attempts (ip, attempted_at);
comment on table login_attempts is 'Feeds the sign-in throttle; rows older than a day are swept.';

create table audit_events (
    id bigserial primary key,
    account_id uuid not null references accounts (id) on delete cascade,
    actor_user_id uuid references users (id) on delete set null,
    actor_email text,
    action text not null,
    target_type text,
    target_id uuid,
    target_label text,
    details jsonb not null default '{}',
    ip text,
    created_at timestamptz not null default now()
);
create index audit_events_account_idx on audit_events (account_id, created_at desc);
comment on column audit_events.actor_email is 'Kept as written so the log still names a user who was removed.';
comment on column audit_events.target_label is 'The target''s name at the time of the event.';
