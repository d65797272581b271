alter table api_requests add foreign key (account_id) references accounts (id) on delete cascade;
alter table api_requests add foreign key (integration_id) references integrations (id) on delete cascade;
alter table api_requests add foreign key (token_id) references access_tokens (id) on delete set null;
alter table api_requests add foreign key (legacy_key_id) references legacy_api_keys (id) on delete set null;
comment on column api_requests.account_id is null;
