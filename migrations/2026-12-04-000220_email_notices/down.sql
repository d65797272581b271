drop table email_notices;
