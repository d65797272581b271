drop index api_requests_integration_ip_idx;
drop table alerts;
