alter table api_requests add column outcome text not null default 'used'
    check (outcome in ('used', 'invalid_token', 'ip_not_allowed', 'rate_limited'));
update api_requests set outcome = 'invalid_token' where status = 401;
update api_requests set outcome = 'rate_limited' where status = 429;
comment on column api_requests.outcome is 'used, or why authentication refused the request. A missing-scope 403 is a use; only a use moves the token''s last use.';
