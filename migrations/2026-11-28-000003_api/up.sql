create table contacts (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    first_name text,
    last_name text,
    name text,
    email text,
    phone text,
    company_name text,
    address1 text,
    city text,
    state text,
    postal_code text,
    country text,
    website text,
    timezone text,
    source text,
    tags text[] not null default '{}',
    date_added timestamptz not null default date_trunc('milliseconds', now()),
    date_updated timestamptz not null default date_trunc('milliseconds', now())
);
create index contacts_account_added_idx on contacts (account_id, date_added, id);
create index contacts_account_email_idx on contacts (account_id, lower(email));
create index contacts_tags_idx on contacts using gin (tags);
comment on table contacts is 'The account''s CRM records that API v2 serves (HighLevel''s contacts).';
comment on column contacts.email is 'Stored lower-cased, as HighLevel does; searched case-insensitively.';
comment on column contacts.date_added is 'Millisecond precision, so the startAfter cursor (epoch milliseconds) is exact.';
comment on column contacts.name is 'Given, or derived from first and last name.';

alter table integrations add column ip_allowlist text[] not null default '{}';
comment on column integrations.ip_allowlist is 'CIDR blocks the API accepts this integration''s tokens from; empty = anywhere.';

create table legacy_api_keys (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    key_hash bytea not null,
    last_four text not null,
    created_at timestamptz not null default now(),
    created_by uuid references users (id) on delete set null,
    revoked_at timestamptz,
    last_used_at timestamptz,
    revealed_at timestamptz
);
create unique index legacy_api_keys_hash_key on legacy_api_keys (key_hash);
create unique index legacy_api_keys_one_live on legacy_api_keys (account_id) where revoked_at is null;
comment on table legacy_api_keys is 'API v1 account keys: full access, one live key per account, stored as SHA-256.';

create table api_requests (
    id bigserial primary key,
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
    created_at timestamptz not null default now()
);
create index api_requests_integration_idx on api_requests (integration_id, created_at desc);
create index api_requests_created_idx on api_requests (created_at);
comment on column api_requests.legacy_key_id is 'Set for API v1 requests, made with the account key instead of a token.';
comment on column api_requests.route is 'The matched route pattern (e.g. /v2/contacts/{contactId}), never the query string.';
comment on column api_requests.scope is 'The scope the route required, for the used-scopes report.';

create table usage_daily (
    integration_id uuid not null references integrations (id) on delete cascade,
    day date not null,
    requests bigint not null default 0,
    errors bigint not null default 0,
    primary key (integration_id, day)
);
comment on table usage_daily is 'Requests per integration per UTC day; errors are responses of 400 and above.';

