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
    alerts (id) {
        id -> Uuid,
        account_id -> Uuid,
        integration_id -> Uuid,
        kind -> Text,
        token_id -> Uuid,
        ip -> Text,
        day -> Date,
        created_at -> Timestamptz,
        dismissed_at -> Nullable<Timestamptz>,
        dismissed_by -> Nullable<Uuid>,
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
    contact_notes (id) {
        id -> Uuid,
        account_id -> Uuid,
        contact_id -> Uuid,
        user_id -> Nullable<Uuid>,
        body -> Text,
        title -> Nullable<Text>,
        color -> Nullable<Text>,
        pinned -> Bool,
        date_added -> Timestamptz,
        date_updated -> Timestamptz,
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
        gender -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        dnd -> Bool,
        dnd_settings -> Nullable<Jsonb>,
        inbound_dnd_settings -> Nullable<Jsonb>,
        assigned_to -> Nullable<Uuid>,
        phone_digits -> Nullable<Text>,
        custom_values -> Jsonb,
    }
}

diesel::table! {
    custom_fields (id) {
        id -> Uuid,
        account_id -> Uuid,
        name -> Text,
        field_key -> Text,
        data_type -> Text,
        placeholder -> Nullable<Text>,
        options -> Array<Text>,
        position -> Int4,
        model -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    email_notices (id) {
        id -> Uuid,
        account_id -> Uuid,
        recipient -> Text,
        kind -> Text,
        dedup_key -> Text,
        subject -> Text,
        body -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        lease_until -> Nullable<Timestamptz>,
        sent_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    integration_addresses (integration_id, ip) {
        integration_id -> Uuid,
        ip -> Text,
        last_used_at -> Timestamptz,
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
        last_used_at -> Nullable<Timestamptz>,
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
    location_tags (id) {
        id -> Uuid,
        account_id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
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
    usage_quarter_hours (integration_id, starts_at) {
        integration_id -> Uuid,
        starts_at -> Timestamptz,
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
        time_zone -> Text,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Uuid,
        attempt -> Int4,
        started_at -> Timestamptz,
        duration_ms -> Int4,
        status_code -> Nullable<Int2>,
        error -> Nullable<Text>,
        response_excerpt -> Text,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        endpoint_id -> Uuid,
        event_id -> Uuid,
        state -> Text,
        attempts -> Int4,
        max_attempts -> Nullable<Int4>,
        next_attempt_at -> Nullable<Timestamptz>,
        lease_until -> Nullable<Timestamptz>,
        is_test -> Bool,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        account_id -> Uuid,
        integration_id -> Uuid,
        url -> Text,
        events -> Array<Text>,
        secret_sealed -> Bytea,
        previous_secret_sealed -> Nullable<Bytea>,
        previous_secret_until -> Nullable<Timestamptz>,
        secret_shown_at -> Nullable<Timestamptz>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Uuid,
        account_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(access_tokens -> integrations (integration_id));
diesel::joinable!(access_tokens -> users (created_by));
diesel::joinable!(alerts -> access_tokens (token_id));
diesel::joinable!(alerts -> accounts (account_id));
diesel::joinable!(alerts -> integrations (integration_id));
diesel::joinable!(alerts -> users (dismissed_by));
diesel::joinable!(audit_events -> accounts (account_id));
diesel::joinable!(audit_events -> integrations (integration_id));
diesel::joinable!(audit_events -> users (actor_user_id));
diesel::joinable!(contacts -> accounts (account_id));
diesel::joinable!(custom_fields -> accounts (account_id));
diesel::joinable!(email_notices -> accounts (account_id));
diesel::joinable!(integration_addresses -> integrations (integration_id));
diesel::joinable!(integrations -> accounts (account_id));
diesel::joinable!(integrations -> users (created_by));
diesel::joinable!(legacy_api_keys -> accounts (account_id));
diesel::joinable!(legacy_api_keys -> users (created_by));
diesel::joinable!(location_tags -> accounts (account_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(usage_daily -> integrations (integration_id));
diesel::joinable!(usage_quarter_hours -> integrations (integration_id));
diesel::joinable!(usage_scopes -> integrations (integration_id));
diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_deliveries -> webhook_events (event_id));
diesel::joinable!(webhook_endpoints -> accounts (account_id));
diesel::joinable!(webhook_endpoints -> integrations (integration_id));
diesel::joinable!(webhook_endpoints -> users (created_by));
diesel::joinable!(webhook_events -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_tokens,
    accounts,
    alerts,
    api_requests,
    audit_events,
    contact_notes,
    contacts,
    custom_fields,
    email_notices,
    integration_addresses,
    integrations,
    legacy_api_keys,
    location_tags,
    login_attempts,
    server_secrets,
    sessions,
    usage_daily,
    usage_quarter_hours,
    usage_scopes,
    users,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
);
