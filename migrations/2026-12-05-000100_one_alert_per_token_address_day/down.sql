drop index alerts_once_a_day_idx;
create unique index alerts_once_a_day_idx on alerts (integration_id, kind, token_id, ip, day);
comment on column alerts.day is 'The UTC day of the request; with the unique index, at most one alert per token, address and day, however many instances find it.';
