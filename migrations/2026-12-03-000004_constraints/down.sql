comment on table accounts is null;
comment on table users is null;
comment on table sessions is null;
comment on table integrations is null;
comment on table access_tokens is null;
comment on table audit_events is null;
comment on table api_requests is null;
alter table integrations drop constraint integrations_scopes_not_empty_check;
alter table legacy_api_keys drop constraint legacy_api_keys_hash_length_check;
alter table access_tokens
    drop constraint access_tokens_hash_length_check,
    drop constraint access_tokens_revoked_together_check,
    drop constraint access_tokens_revoked_reason_check;
drop index users_email_idx;
