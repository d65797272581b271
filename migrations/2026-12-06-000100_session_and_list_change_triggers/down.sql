drop trigger access_tokens_notify_list on access_tokens;
drop trigger integrations_notify_list on integrations;
drop function pi_notify_list_change();
drop trigger users_notify_change on users;
drop function pi_notify_user_change();
drop trigger sessions_notify_removal on sessions;
drop trigger sessions_notify_change on sessions;
drop function pi_notify_session_change();
