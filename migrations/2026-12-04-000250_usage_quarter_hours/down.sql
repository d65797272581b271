drop table usage_quarter_hours;
