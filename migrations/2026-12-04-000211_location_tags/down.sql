drop table location_tags;
