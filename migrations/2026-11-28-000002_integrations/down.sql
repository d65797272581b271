alter table audit_events drop column integration_id;
drop table access_tokens;
drop table integrations;
