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

-- A new row replaces nothing cached; a changed or removed one may. The
-- usage writer's own writes are left out: a use moving a token's last use
-- forward (at most once a minute per token) only makes it more alive, and a
-- cached copy that looks idle is checked again in the database anyway; an
-- integration's latest use is no part of a verification. Told of those,
-- every instance would drop every busy token once a minute.
create trigger access_tokens_notify_change
    after update on access_tokens
    for each row
    when (to_jsonb(old) - 'last_used_at' - 'last_used_ip'
              is distinct from to_jsonb(new) - 'last_used_at' - 'last_used_ip'
          or coalesce(new.last_used_at, new.created_at)
              < coalesce(old.last_used_at, old.created_at))
    execute function pi_notify_token_change();
create trigger access_tokens_notify_removal
    after delete on access_tokens
    for each row execute function pi_notify_token_change();
create trigger integrations_notify_change
    after update on integrations
    for each row
    when (to_jsonb(old) - 'last_used_at' is distinct from to_jsonb(new) - 'last_used_at')
    execute function pi_notify_token_change();
create trigger integrations_notify_removal
    after delete on integrations
    for each row execute function pi_notify_token_change();
create trigger accounts_notify_change
    after update or delete on accounts
    for each row execute function pi_notify_token_change();
