// @generated automatically by Diesel CLI.

diesel::table! {
    accounts (id) {
        id -> Uuid,
        name -> Text,
        inactivity_expiry_days -> Nullable<Int4>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        account_id -> Uuid,
        actor_user_id -> Nullable<Uuid>,
        actor_email -> Nullable<Text>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Uuid>,
        target_label -> Nullable<Text>,
        details -> Jsonb,
        ip -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        succeeded -> Bool,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Bytea,
        state -> Jsonb,
        user_id -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        account_id -> Uuid,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(audit_events -> accounts (account_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(users -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    audit_events,
    login_attempts,
    server_secrets,
    sessions,
    users,
);
