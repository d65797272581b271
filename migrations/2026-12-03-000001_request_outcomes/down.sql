alter table api_requests drop column outcome;
