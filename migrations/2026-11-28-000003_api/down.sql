drop table legacy_api_keys;
drop table usage_daily;
drop table api_requests;
alter table integrations drop column ip_allowlist;
drop table contacts;
