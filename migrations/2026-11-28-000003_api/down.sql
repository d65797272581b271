drop table usage_daily;
drop table api_requests;
drop table legacy_api_keys;
alter table integrations drop column ip_allowlist;
drop table contacts;
