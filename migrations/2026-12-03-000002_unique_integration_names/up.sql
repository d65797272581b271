-- Integration names are unique per account, case-insensitively, among
-- integrations not deleted: two integrations named alike could be taken for
-- one another when their tokens are granted or revoked.

-- Existing duplicates keep the oldest one's name; the others get the first
-- free " (n)" suffix, shortened to fit the 100-character limit.
do $$
declare
    dup record;
    n integer;
    candidate text;
begin
    for dup in
        select id, account_id, name
        from (
            select id, account_id, name,
                   row_number() over (
                       partition by account_id, lower(name)
                       order by created_at, id
                   ) as rank
            from integrations
            where deleted_at is null
        ) ranked
        where rank > 1
        order by account_id, lower(name), rank
    loop
        n := 2;
        loop
            candidate := left(dup.name, 100 - char_length(' (' || n || ')')) || ' (' || n || ')';
            exit when not exists (
                select 1 from integrations
                where account_id = dup.account_id
                  and deleted_at is null
                  and lower(name) = lower(candidate)
            );
            n := n + 1;
        end loop;
        update integrations set name = candidate, updated_at = now() where id = dup.id;
    end loop;
end
$$;

create unique index integrations_account_name_key
    on integrations (account_id, lower(name))
    where deleted_at is null;
comment on index integrations_account_name_key is 'Names are unique per account among integrations not deleted, ignoring case; a deleted integration''s name may be reused.';
