create table contact_notes (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null,
    contact_id uuid not null,
    user_id uuid,
    body text not null,
    title text,
    color text,
    pinned boolean not null default false,
    date_added timestamptz not null default date_trunc('milliseconds', now()),
    date_updated timestamptz not null default date_trunc('milliseconds', now()),
    constraint contact_notes_contact_fkey foreign key (contact_id, account_id)
        references contacts (id, account_id) on delete cascade,
    constraint contact_notes_user_fkey foreign key (user_id, account_id)
        references users (id, account_id) on delete set null (user_id)
);
create index contact_notes_contact_idx on contact_notes (contact_id, date_added desc, id desc);
create index contact_notes_user_idx on contact_notes (user_id) where user_id is not null;
comment on table contact_notes is 'Notes on a contact (HighLevel''s contact notes); they go with their contact.';
comment on column contact_notes.account_id is 'The contact''s account, so every lookup is scoped by account in the query.';
comment on column contact_notes.user_id is 'The user the note is by, a user of the same account; cleared when that user is removed.';
