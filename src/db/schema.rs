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
        representative_id -> Nullable<Uuid>,
        voter_id -> Nullable<Uuid>,
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

diesel::table! {
    constituencies (id) {
        id -> Uuid,
        committee_id -> Uuid,
        name -> Text,
        code -> Text,
        area -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    representatives (id) {
        id -> Uuid,
        name -> Text,
        gender -> Text,
        level -> Text,
        term -> Int4,
        constituency_id -> Nullable<Uuid>,
        liaison_group_id -> Uuid,
        employer -> Nullable<Text>,
        position -> Nullable<Text>,
        public_contact -> Nullable<Text>,
        phone -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    voters (id) {
        id -> Uuid,
        name -> Text,
        constituency_id -> Uuid,
        phone -> Text,
        id_number_ciphertext -> Nullable<Bytea>,
        id_number_hmac -> Nullable<Bytea>,
        id_number_masked -> Nullable<Text>,
        address -> Nullable<Text>,
        verified_at -> Nullable<Timestamptz>,
        verified_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    contact_links (id) {
        id -> Uuid,
        representative_id -> Uuid,
        voter_id -> Uuid,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    committee_policies (committee_id) {
        committee_id -> Uuid,
        max_fixed_households -> Nullable<Int4>,
        max_voter_liaisons -> Nullable<Int4>,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(constituencies -> committees (committee_id));
diesel::joinable!(representatives -> constituencies (constituency_id));
diesel::joinable!(representatives -> liaison_groups (liaison_group_id));
diesel::joinable!(voters -> constituencies (constituency_id));
diesel::joinable!(contact_links -> representatives (representative_id));
diesel::joinable!(contact_links -> voters (voter_id));
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
    constituencies,
    representatives,
    voters,
    contact_links,
    committee_policies,
);
