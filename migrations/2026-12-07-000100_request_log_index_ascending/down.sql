drop index api_requests_integration_idx;
create index api_requests_integration_idx on api_requests (integration_id, created_at desc);
