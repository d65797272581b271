-- A claim takes each endpoint's oldest due deliveries, a few per endpoint,
-- so one slow receiver cannot hold every sender: this finds them without
-- reading the endpoint's finished deliveries (kept 30 days).
create index webhook_deliveries_endpoint_due_idx
    on webhook_deliveries (endpoint_id, next_attempt_at) where state = 'pending';
