drop trigger accounts_notify_change on accounts;
drop trigger integrations_notify_removal on integrations;
drop trigger integrations_notify_change on integrations;
drop trigger access_tokens_notify_removal on access_tokens;
drop trigger access_tokens_notify_change on access_tokens;
drop function pi_notify_token_change();
