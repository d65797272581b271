drop trigger access_tokens_notify_truncation on access_tokens;
drop trigger integrations_notify_truncation on integrations;
drop trigger sessions_notify_truncation on sessions;
drop trigger users_notify_truncation on users;
drop trigger accounts_notify_truncation on accounts;
drop function pi_notify_truncation();
create or replace function pi_notify_list_change() returns trigger
language plpgsql as $$
declare
    changed_account uuid;
begin
    if tg_table_name = 'integrations' and tg_op = 'DELETE' then
        changed_account := old.account_id;
    elsif tg_table_name = 'integrations' then
        changed_account := new.account_id;
    elsif tg_op = 'DELETE' then
        select account_id into changed_account from integrations where id = old.integration_id;
    else
        select account_id into changed_account from integrations where id = new.integration_id;
    end if;
    if changed_account is not null then
        perform pg_notify('pi_token_changes', 'list:' || changed_account);
    end if;
    return null;
end
$$;
