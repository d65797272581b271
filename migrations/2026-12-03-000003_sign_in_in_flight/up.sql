-- A sign-in attempt is recorded before its password is checked, so that
-- concurrent attempts see each other; it is settled once the check is done.
alter table login_attempts alter column succeeded drop not null;
comment on column login_attempts.succeeded is 'NULL while the password is being checked: an attempt in flight counts as a failure until it is settled.';
