-- The request log takes a row per API call. Its foreign keys made
-- PostgreSQL look up and lock the account, the integration and the token
-- for every row written: measured, 44 % of the database's time while
-- recording usage. Nothing deletes accounts, integrations or tokens (they
-- are ended softly), so the keys guarded nothing the application does; the
-- rows expire with their partitions after 30 days.
do $$
declare
    fk record;
begin
    for fk in
        select conname from pg_constraint
        where conrelid = 'api_requests'::regclass and contype = 'f'
    loop
        execute format('alter table api_requests drop constraint %I', fk.conname);
    end loop;
end
$$;

comment on column api_requests.account_id is 'The account the credential belongs to; not a foreign key, so recording a request looks nothing up.';
