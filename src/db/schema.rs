// Mirrors the migrations; the schema test in tests/api checks it against the migrated
// database, so a drift fails CI.

diesel::table! {
    committees (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        parent_id -> Nullable<Uuid>,
        ancestors -> Array<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    liaison_groups (id) {
        id -> Uuid,
        committee_id -> Uuid,
        kind -> Text,
        name -> Text,
        address -> Text,
        opening_hours -> Nullable<Text>,
        head_name -> Nullable<Text>,
        liaison_officers -> Array<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    handling_bodies (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        committee_id -> Uuid,
        contact -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    accounts (id) {
        id -> Uuid,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        committee_id -> Nullable<Uuid>,
        liaison_group_id -> Nullable<Uuid>,
        handling_body_id -> Nullable<Uuid>,
        disabled_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (id) {
        id -> Uuid,
        account_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Bytea,
        session_id -> Uuid,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Int4,
        window_started_at -> Timestamptz,
    }
}

diesel::joinable!(liaison_groups -> committees (committee_id));
diesel::joinable!(handling_bodies -> committees (committee_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));

diesel::allow_tables_to_appear_in_same_query!(
    committees,
    liaison_groups,
    handling_bodies,
    accounts,
    sessions,
    refresh_tokens,
    login_throttle,
);
