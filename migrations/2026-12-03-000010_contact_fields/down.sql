drop index contacts_assigned_to_idx;
drop index contacts_account_phone_digits_idx;
alter table contacts
    drop constraint contacts_inbound_dnd_settings_object_check,
    drop constraint contacts_dnd_settings_object_check,
    drop constraint contacts_assigned_to_fkey,
    drop column phone_digits,
    drop column assigned_to,
    drop column inbound_dnd_settings,
    drop column dnd_settings,
    drop column dnd,
    drop column date_of_birth,
    drop column gender;
alter table contacts drop constraint contacts_id_account_key;
alter table users drop constraint users_id_account_key;
