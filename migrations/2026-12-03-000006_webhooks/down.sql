drop table webhook_attempts;
drop table webhook_deliveries;
drop table webhook_events;
drop table webhook_endpoints;
