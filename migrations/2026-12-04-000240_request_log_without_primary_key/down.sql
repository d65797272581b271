alter table api_requests add primary key (id, created_at);
