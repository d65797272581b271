-- Sign-in looks users up by the stored (lower-cased) email; the unique index
-- on lower(email) does not serve that query.
create index users_email_idx on users (email);

alter table access_tokens
    add constraint access_tokens_revoked_reason_check
        check (revoked_reason in ('rotated', 'expired_by_user', 'rotation_cancelled', 'deleted', 'inactive')),
    add constraint access_tokens_revoked_together_check
        check ((revoked_at is null) = (revoked_reason is null)),
    add constraint access_tokens_hash_length_check check (octet_length(token_hash) = 32);
alter table legacy_api_keys
    add constraint legacy_api_keys_hash_length_check check (octet_length(key_hash) = 32);
alter table integrations
    add constraint integrations_scopes_not_empty_check check (cardinality(scopes) > 0);

comment on table accounts is 'A customer: its users, integrations and contacts. Its id is API v2''s locationId and companyId.';
comment on table users is 'People who sign in to the panel, each in one account with one role.';
comment on table sessions is 'Server-side panel sessions (actix-session store); rows are updated, never re-created, so sign-out is final.';
comment on table integrations is 'Private integrations: a named set of scopes that an app''s tokens carry.';
comment on table access_tokens is 'Tokens of an integration, stored as SHA-256; revoked softly so the audit trail and usage keep their references.';
comment on table audit_events is 'Who did what, written in the same transaction as the change.';
comment on table api_requests is 'One row per API request with a known credential, refusals included; kept 30 days.';
