alter table integrations drop column last_used_at;
