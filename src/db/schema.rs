// @generated automatically by Diesel CLI.

diesel::table! {
    access_tokens (id) {
        id -> Uuid,
        integration_id -> Uuid,
        token_hash -> Bytea,
        last_four -> Text,
        created_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
        expires_at -> Nullable<Timestamptz>,
        grace_ends_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
        last_used_at -> Nullable<Timestamptz>,
        last_used_ip -> Nullable<Text>,
        rotated_from -> Nullable<Uuid>,
        revealed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    accounts (id) {
        id -> Uuid,
        name -> Text,
        inactivity_expiry_days -> Nullable<Int4>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_requests (id) {
        id -> Int8,
        account_id -> Uuid,
        integration_id -> Nullable<Uuid>,
        token_id -> Nullable<Uuid>,
        legacy_key_id -> Nullable<Uuid>,
        method -> Text,
        route -> Text,
        status -> Int2,
        duration_ms -> Int4,
        ip -> Text,
        scope -> Nullable<Text>,
        created_at -> Timestamptz,
        outcome -> Text,
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
        integration_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    contacts (id) {
        id -> Uuid,
        account_id -> Uuid,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        company_name -> Nullable<Text>,
        address1 -> Nullable<Text>,
        city -> Nullable<Text>,
        state -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        website -> Nullable<Text>,
        timezone -> Nullable<Text>,
        source -> Nullable<Text>,
        tags -> Array<Text>,
        date_added -> Timestamptz,
        date_updated -> Timestamptz,
    }
}

diesel::table! {
    integrations (id) {
        id -> Uuid,
        account_id -> Uuid,
        name -> Text,
        description -> Text,
        scopes -> Array<Text>,
        token_lifetime_days -> Nullable<Int4>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        ip_allowlist -> Array<Text>,
    }
}

diesel::table! {
    legacy_api_keys (id) {
        id -> Uuid,
        account_id -> Uuid,
        key_hash -> Bytea,
        last_four -> Text,
        created_at -> Timestamptz,
        created_by -> Nullable<Uuid>,
        revoked_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        revealed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        succeeded -> Nullable<Bool>,
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
    usage_daily (integration_id, day) {
        integration_id -> Uuid,
        day -> Date,
        requests -> Int8,
        errors -> Int8,
    }
}

diesel::table! {
    usage_scopes (integration_id, day, scope) {
        integration_id -> Uuid,
        day -> Date,
        scope -> Text,
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

diesel::joinable!(access_tokens -> integrations (integration_id));
diesel::joinable!(access_tokens -> users (created_by));
diesel::joinable!(audit_events -> accounts (account_id));
diesel::joinable!(audit_events -> integrations (integration_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(contacts -> accounts (account_id));
diesel::joinable!(integrations -> accounts (account_id));
diesel::joinable!(integrations -> users (created_by));
diesel::joinable!(legacy_api_keys -> accounts (account_id));
diesel::joinable!(legacy_api_keys -> users (created_by));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(usage_daily -> integrations (integration_id));
diesel::joinable!(usage_scopes -> integrations (integration_id));
diesel::joinable!(users -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_tokens,
    accounts,
    api_requests,
    audit_events,
    contacts,
    integrations,
    legacy_api_keys,
    login_attempts,
    server_secrets,
    sessions,
    usage_daily,
    usage_scopes,
    users,
);
