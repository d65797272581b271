-- Every field of HighLevel's CreateContactDto / UpdateContactDto.

-- Composite keys let other tables name a contact or a user together with its
-- account, so a row can never point into another account.
alter table users add constraint users_id_account_key unique (id, account_id);
alter table contacts add constraint contacts_id_account_key unique (id, account_id);

alter table contacts
    add column gender text,
    add column date_of_birth date,
    add column dnd boolean not null default false,
    add column dnd_settings jsonb,
    add column inbound_dnd_settings jsonb,
    add column assigned_to uuid,
    add column phone_digits text
        generated always as (nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '')) stored,
    add constraint contacts_assigned_to_fkey foreign key (assigned_to, account_id)
        references users (id, account_id) on delete set null (assigned_to),
    add constraint contacts_dnd_settings_object_check
        check (jsonb_typeof(dnd_settings) = 'object'),
    add constraint contacts_inbound_dnd_settings_object_check
        check (jsonb_typeof(inbound_dnd_settings) = 'object');

create index contacts_account_phone_digits_idx on contacts (account_id, phone_digits)
    where phone_digits is not null;
create index contacts_assigned_to_idx on contacts (assigned_to) where assigned_to is not null;

comment on column contacts.date_of_birth is 'Read from any of HighLevel''s documented formats; returned as YYYY-MM-DD.';
comment on column contacts.dnd is 'Do not disturb on every channel.';
comment on column contacts.dnd_settings is 'Do not disturb per channel, in HighLevel''s shape: {"SMS": {"status", "message"?, "code"?}, ...}.';
comment on column contacts.inbound_dnd_settings is 'Do not disturb for inbound messages, in HighLevel''s shape: {"all": {"status", "message"?}}.';
comment on column contacts.assigned_to is 'A user of the same account; unassigned when that user is removed.';
comment on column contacts.phone_digits is 'The phone''s digits only: upsert and the duplicate lookup match phones by these.';

-- Tags are now compared lower-cased, as HighLevel does: bring older ones in
-- line, keeping each contact's first spelling's place.
update contacts c
set tags = coalesce((
    select array_agg(tag order by first_at)
    from (
        select lower(btrim(t)) as tag, min(i) as first_at
        from unnest(c.tags) with ordinality as u(t, i)
        group by 1
    ) as normalised
), '{}')
where exists (select 1 from unnest(c.tags) as t where t <> lower(btrim(t)));
