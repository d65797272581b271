-- Every instance keeps verified tokens in memory and forgets them when told
-- on the channel `pi_token_changes`. Told by the database itself, on every
-- change of a row a cached verification copies, so no writer can forget to
-- tell: not the panel, not the sweep, not an operator's hand-written UPDATE
-- (a token expired or revoked in psql stops working on every instance as
-- fast as one expired in the panel). pg_notify is transactional: the
-- message goes out when the change commits, and not at all if it rolls back.
create function pi_notify_token_change() returns trigger
language plpgsql as $$
begin
    if tg_table_name = 'accounts' then
        perform pg_notify('pi_token_changes', 'account:' || old.id);
    elsif tg_table_name = 'integrations' then
        perform pg_notify('pi_token_changes', 'integration:' || old.id);
    else
        perform pg_notify('pi_token_changes', 'integration:' || old.integration_id);
    end if;
    return null;
end
$$;

-- A new row replaces nothing cached; a changed or removed one may.
create trigger access_tokens_notify_change
    after update or delete on access_tokens
    for each row execute function pi_notify_token_change();
create trigger integrations_notify_change
    after update or delete on integrations
    for each row execute function pi_notify_token_change();
create trigger accounts_notify_change
    after update or delete on accounts
    for each row execute function pi_notify_token_change();
