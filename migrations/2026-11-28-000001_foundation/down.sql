drop table audit_events;
drop table login_attempts;
drop table server_secrets;
drop table sessions;
drop table users;
drop table accounts;
