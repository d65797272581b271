-- The integrations list shows each integration's latest use, that of any of
-- its tokens, revoked ones included. Kept on the integration as the usage
-- writer records each token's (at most once a minute per token), so a page
-- of the list reads no tokens beyond the live ones it shows.
alter table integrations add column last_used_at timestamptz;
update integrations i
    set last_used_at = t.last_used_at
    from (
        select integration_id, max(last_used_at) as last_used_at
        from access_tokens
        group by integration_id
    ) t
    where t.integration_id = i.id;
comment on column integrations.last_used_at is 'The latest use of any of its tokens, revoked ones included; written with the token''s own.';
