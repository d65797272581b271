-- Each instance also keeps signed-in sessions (with their users) and pages
-- of the integrations list in memory, forgotten on the same channel as
-- cached tokens (see `token_change_triggers`): told by the database
-- itself, as a change commits, whoever makes it.

-- A session's state or user changed, or it ended. Pushing its expiry
-- forward (at most once a minute per busy session) is left out: a cached
-- copy keeps the earlier end and is read again once that passes. An
-- expiry moved back, say by hand to end a session, is told.
create function pi_notify_session_change() returns trigger
language plpgsql as $$
begin
    perform pg_notify('pi_token_changes', 'session:' || encode(old.id, 'hex'));
    return null;
end
$$;
create trigger sessions_notify_change
    after update on sessions
    for each row
    when (to_jsonb(old) - 'expires_at' is distinct from to_jsonb(new) - 'expires_at'
          or new.expires_at < old.expires_at)
    execute function pi_notify_session_change();
create trigger sessions_notify_removal
    after delete on sessions
    for each row execute function pi_notify_session_change();

-- A user's role, zone, address or password changed, or they were removed:
-- their sessions are read again.
create function pi_notify_user_change() returns trigger
language plpgsql as $$
begin
    perform pg_notify('pi_token_changes', 'user:' || old.id);
    return null;
end
$$;
create trigger users_notify_change
    after update or delete on users
    for each row execute function pi_notify_user_change();

-- Anything a page of the list shows: an integration or token added,
-- changed (a latest use included) or removed. pg_notify sends a payload
-- once per transaction however many rows repeat it, so a batch of uses
-- tells each account once.
create function pi_notify_list_change() returns trigger
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
    -- A token removed with its integration: the integration's own row told.
    if changed_account is not null then
        perform pg_notify('pi_token_changes', 'list:' || changed_account);
    end if;
    return null;
end
$$;
create trigger integrations_notify_list
    after insert or update or delete on integrations
    for each row execute function pi_notify_list_change();
create trigger access_tokens_notify_list
    after insert or update or delete on access_tokens
    for each row execute function pi_notify_list_change();
