-- At most one alert per token, address and day, whatever its kind (SPEC §9):
-- a token first seen from a new address and then presented again after its
-- revocation, from that address on the same day, is one alert, not two. The
-- audit log keeps a line for each alert removed here.
delete from alerts a
    using alerts b
    where a.token_id = b.token_id
      and a.ip = b.ip
      and a.day = b.day
      and (a.created_at, a.id) > (b.created_at, b.id);
drop index alerts_once_a_day_idx;
create unique index alerts_once_a_day_idx on alerts (token_id, ip, day);
comment on column alerts.day is 'The UTC day of the request; with the unique index, at most one alert per token, address and day, whatever its kind, however many instances find it.';
