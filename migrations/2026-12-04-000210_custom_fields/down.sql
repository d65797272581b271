alter table contacts drop column custom_values;
drop table custom_fields;
