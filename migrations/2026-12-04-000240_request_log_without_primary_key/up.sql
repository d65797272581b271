-- The request log is only ever read by integration and time (the
-- (integration_id, created_at) index), and `id` only breaks ties between
-- rows of the same instant; its values come from the sequence, so the
-- primary key guarded nothing while costing every API call an index entry
-- (about a fifth of the database's time per logged request).
alter table api_requests drop constraint api_requests_pkey;
