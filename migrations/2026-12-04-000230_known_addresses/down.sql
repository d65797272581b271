create index api_requests_created_idx on api_requests (created_at);
create index api_requests_integration_ip_idx on api_requests (integration_id, ip, created_at);
drop table integration_addresses;
