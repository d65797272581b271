-- Two holes in what the database announces to the instances' caches:
-- a row moved to another account (or a token to another integration)
-- told only its new account, so the old account's list kept showing it;
-- and TRUNCATE fires no row trigger at all, so emptied tables (signed-out
-- sessions included) stayed cached until their entries aged out.
create or replace function pi_notify_list_change() returns trigger
language plpgsql as $$
declare
    old_account uuid;
    new_account uuid;
begin
    if tg_table_name = 'integrations' then
        if tg_op <> 'INSERT' then
            old_account := old.account_id;
        end if;
        if tg_op <> 'DELETE' then
            new_account := new.account_id;
        end if;
    else
        if tg_op <> 'INSERT' then
            select account_id into old_account from integrations where id = old.integration_id;
        end if;
        if tg_op <> 'DELETE' then
            select account_id into new_account from integrations where id = new.integration_id;
        end if;
    end if;
    -- A token removed with its integration: the integration's own row told.
    if old_account is not null then
        perform pg_notify('pi_token_changes', 'list:' || old_account);
    end if;
    if new_account is not null and new_account is distinct from old_account then
        perform pg_notify('pi_token_changes', 'list:' || new_account);
    end if;
    return null;
end
$$;

-- Every instance forgets everything it keeps.
create function pi_notify_truncation() returns trigger
language plpgsql as $$
begin
    perform pg_notify('pi_token_changes', 'truncated:' || tg_table_name);
    return null;
end
$$;
create trigger accounts_notify_truncation after truncate on accounts
    for each statement execute function pi_notify_truncation();
create trigger users_notify_truncation after truncate on users
    for each statement execute function pi_notify_truncation();
create trigger sessions_notify_truncation after truncate on sessions
    for each statement execute function pi_notify_truncation();
create trigger integrations_notify_truncation after truncate on integrations
    for each statement execute function pi_notify_truncation();
create trigger access_tokens_notify_truncation after truncate on access_tokens
    for each statement execute function pi_notify_truncation();
