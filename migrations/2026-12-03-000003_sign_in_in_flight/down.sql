update login_attempts set succeeded = false where succeeded is null;
comment on column login_attempts.succeeded is null;
alter table login_attempts alter column succeeded set not null;
