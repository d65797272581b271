create table email_notices (
    id uuid primary key default gen_random_uuid(),
    account_id uuid not null references accounts (id) on delete cascade,
    recipient text not null,
    kind text not null,
    dedup_key text not null,
    subject text not null,
    body text not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz default now(),
    lease_until timestamptz,
    sent_at timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    constraint email_notices_kind_check check (kind in ('alert', 'token_ending')),
    constraint email_notices_once unique (kind, dedup_key, recipient)
);
create index email_notices_due_idx on email_notices (next_attempt_at)
    where next_attempt_at is not null;
comment on table email_notices is 'Outbox of emails to owners and admins: written with what causes them, sent and retried by the notice worker of any instance.';
comment on column email_notices.dedup_key is 'What the notice is about (an alert id, or a token id with the reason and moment it ends); with kind and recipient unique, so every instance may queue it and it is sent once.';
comment on column email_notices.next_attempt_at is 'When the next attempt is due; NULL once sent, or once given up after the last attempt (last_error says why).';
comment on column email_notices.lease_until is 'While a worker is sending: no other worker claims the row until then.';
comment on column email_notices.body is 'Plain text naming the integration, the reason and a link to it; never a token, secret or password.';
