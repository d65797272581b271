create table custom_fields (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    name text not null check (name <> ''),
    field_key text not null,
    data_type text not null check (data_type in (
        'TEXT', 'LARGE_TEXT', 'NUMERICAL', 'PHONE', 'MONETORY', 'CHECKBOX',
        'SINGLE_OPTIONS', 'MULTIPLE_OPTIONS', 'RADIO', 'DATE')),
    placeholder text,
    options text[] not null default '{}',
    position integer not null default 0,
    model text not null default 'contact' check (model = 'contact'),
    created_at timestamptz not null default date_trunc('milliseconds', now()),
    updated_at timestamptz not null default date_trunc('milliseconds', now()),
    constraint custom_fields_key_unique unique (account_id, field_key)
);
create index custom_fields_account_idx on custom_fields (account_id, position, created_at, id);
comment on table custom_fields is 'An account''s contact custom fields (HighLevel''s location custom fields).';
comment on column custom_fields.field_key is 'HighLevel''s `contact.<slug>`, made from the name at creation and kept when the field is renamed.';
comment on column custom_fields.data_type is 'HighLevel''s dataType spelling (MONETORY included); it decides what a contact''s value may be.';
comment on column custom_fields.options is 'The allowed values of an option type (HighLevel''s picklistOptions); empty for the others.';

alter table contacts add column custom_values jsonb not null default '{}'::jsonb;
comment on column contacts.custom_values is 'The contact''s custom field values: an object keyed by custom field id, each value typed by the field''s data type.';
