create table location_tags (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    name text not null check (name <> ''),
    created_at timestamptz not null default date_trunc('milliseconds', now()),
    constraint location_tags_name_unique unique (account_id, name)
);
comment on table location_tags is 'An account''s tag list (HighLevel''s location tags): every tag its contacts carry, and any created outright.';
comment on column location_tags.name is 'Trimmed and lower-cased, as contacts carry it.';

-- The list starts as the tags the account's contacts already carry.
insert into location_tags (account_id, name)
select distinct account_id, tag
from contacts, unnest(tags) as tag
where tag <> ''
on conflict do nothing;
