// Written by hand to mirror the migrations (no diesel CLI on the build machines). There is no
// print-schema comparison yet: a column that drifts shows up as a failing API test, since every
// table is read and written through these definitions.

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
        head_representative_id -> Nullable<Uuid>,
        officer_account_ids -> Array<Uuid>,
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
        must_change_password -> Bool,
    }
}

diesel::table! {
    phone_codes (voter_id) {
        voter_id -> Uuid,
        code_hash -> Bytea,
        expires_at -> Timestamptz,
        attempts -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Uuid,
        at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        subject_id -> Nullable<Uuid>,
        details -> Jsonb,
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
        self_registered -> Bool,
    }
}

diesel::table! {
    contact_links (id) {
        id -> Uuid,
        representative_id -> Uuid,
        voter_id -> Uuid,
        kind -> Text,
        created_at -> Timestamptz,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
    }
}

diesel::table! {
    committee_policies (committee_id) {
        committee_id -> Uuid,
        max_fixed_households -> Nullable<Int4>,
        max_voter_liaisons -> Nullable<Int4>,
        updated_at -> Timestamptz,
        refer_working_days -> Nullable<Int4>,
        answer_months -> Nullable<Int4>,
        feed_back_working_days -> Nullable<Int4>,
        urgent_refer_working_days -> Nullable<Int4>,
        urgent_answer_working_days -> Nullable<Int4>,
        urgent_feed_back_working_days -> Nullable<Int4>,
        max_reopen_rounds -> Nullable<Int4>,
        categories -> Nullable<Array<Text>>,
        publish_days_ahead -> Nullable<Int4>,
        annual_reports_per_year -> Nullable<Int4>,
        household_contacts_per_month -> Nullable<Int4>,
        rota_receptions_per_month -> Nullable<Int4>,
        centralised_contact_by_month -> Nullable<Int4>,
        pre_session_by_month -> Nullable<Int4>,
        min_fixed_households -> Nullable<Int4>,
        min_voter_liaisons -> Nullable<Int4>,
        pre_session_window_days -> Nullable<Int4>,
        referral_route -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        account_id -> Uuid,
        kind -> Text,
        opinion_id -> Uuid,
        referral_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    congress_sessions (id) {
        id -> Uuid,
        level -> Text,
        term -> Int4,
        number -> Int4,
        opens_on -> Date,
        closes_on -> Date,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        kind -> Text,
        name -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    opinions (id) {
        id -> Uuid,
        committee_id -> Uuid,
        constituency_id -> Uuid,
        liaison_group_id -> Nullable<Uuid>,
        representative_id -> Nullable<Uuid>,
        voter_id -> Nullable<Uuid>,
        activity_id -> Nullable<Uuid>,
        title -> Text,
        content -> Text,
        category -> Text,
        location -> Nullable<Text>,
        source -> Text,
        urgent -> Bool,
        public_consent -> Bool,
        state -> Text,
        round -> Int4,
        received_at -> Timestamptz,
        current_due_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        rating -> Nullable<Text>,
        rating_comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        registration_id -> Nullable<Uuid>,
        external_system -> Nullable<Text>,
        external_id -> Nullable<Text>,
        external_fingerprint -> Nullable<Bytea>,
        live_referrals -> Jsonb,
    }
}

diesel::table! {
    referrals (id) {
        id -> Uuid,
        opinion_id -> Uuid,
        handling_body_id -> Uuid,
        role -> Text,
        channel -> Text,
        round -> Int4,
        referred_at -> Timestamptz,
        referred_by -> Nullable<Uuid>,
        due_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        returned_at -> Nullable<Timestamptz>,
        return_reason -> Nullable<Text>,
        answered_at -> Nullable<Timestamptz>,
        outcome -> Nullable<Text>,
        answer_text -> Nullable<Text>,
        answered_by -> Nullable<Uuid>,
        overdue_notified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    committee_policy_generation (only_row) {
        only_row -> Bool,
        n -> Int8,
        callers -> Int8,
    }
}

diesel::table! {
    public_schedule_generation (only_row) {
        only_row -> Bool,
        n -> Int8,
    }
}

diesel::table! {
    /// A copy of each opinion's title and content, which the search (`q`) reads through its
    /// trigram index (migration 000020: kept apart so a step's update touches no trigram).
    opinion_search_texts (opinion_id) {
        opinion_id -> Uuid,
        title -> Text,
        content -> Text,
    }
}

diesel::table! {
    opinion_events (seq) {
        seq -> Int8,
        id -> Uuid,
        opinion_id -> Uuid,
        action -> Text,
        from_state -> Nullable<Text>,
        to_state -> Text,
        round -> Int4,
        actor_id -> Nullable<Uuid>,
        actor_role -> Text,
        at -> Timestamptz,
        payload -> Jsonb,
        internal -> Bool,
    }
}

diesel::table! {
    outbox (seq) {
        seq -> Int8,
        topic -> Text,
        aggregate_id -> Uuid,
        payload -> Jsonb,
        created_at -> Timestamptz,
        published_at -> Nullable<Timestamptz>,
        txid -> Int8,
        subject_kind -> Text,
        committee_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    service_clients (id) {
        id -> Uuid,
        client_id -> Text,
        name -> Text,
        scopes -> Array<Text>,
        committee_id -> Nullable<Uuid>,
        secret_sha256 -> Bytea,
        previous_secret_sha256 -> Nullable<Bytea>,
        previous_secret_expires_at -> Nullable<Timestamptz>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Uuid,
        url -> Text,
        description -> Text,
        event_types -> Nullable<Array<Text>>,
        secret_sealed -> Bytea,
        owner_client_id -> Nullable<Uuid>,
        owner_account_id -> Nullable<Uuid>,
        committee_id -> Nullable<Uuid>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        disabled_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        endpoint_id -> Uuid,
        event_type -> Text,
        change_seq -> Nullable<Int8>,
        body -> Text,
        state -> Text,
        attempts -> Int4,
        retry_base -> Int4,
        next_attempt_at -> Timestamptz,
        leased_until -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (delivery_id, attempt) {
        delivery_id -> Uuid,
        attempt -> Int4,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        latency_ms -> Int4,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_fanout (singleton) {
        singleton -> Bool,
        txid -> Int8,
        seq -> Int8,
    }
}

diesel::table! {
    changes_horizon (only_row) {
        only_row -> Bool,
        txid -> Int8,
        seq -> Int8,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        status -> Nullable<Int4>,
        response_body -> Nullable<Bytea>,
        etag -> Nullable<Text>,
        location -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    activities (id) {
        id -> Uuid,
        kind -> Text,
        form -> Text,
        committee_id -> Uuid,
        organiser_committee_id -> Nullable<Uuid>,
        organiser_group_id -> Nullable<Uuid>,
        liaison_group_id -> Nullable<Uuid>,
        address -> Nullable<Text>,
        starts_at -> Timestamptz,
        ends_at -> Timestamptz,
        topic -> Text,
        published -> Bool,
        published_at -> Nullable<Timestamptz>,
        status -> Text,
        voters_met -> Nullable<Int4>,
        summary -> Nullable<Text>,
        held_at -> Nullable<Timestamptz>,
        cancel_reason -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamptz>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        reject_reason -> Nullable<Text>,
        rejected_at -> Nullable<Timestamptz>,
        report_text -> Nullable<Text>,
        attendee_officer_ids -> Array<Uuid>,
        external_system -> Nullable<Text>,
        external_id -> Nullable<Text>,
        external_fingerprint -> Nullable<Bytea>,
    }
}

diesel::table! {
    activity_events (seq) {
        seq -> Int8,
        id -> Uuid,
        activity_id -> Uuid,
        action -> Text,
        at -> Timestamptz,
        actor_id -> Nullable<Uuid>,
        payload -> Jsonb,
    }
}

diesel::table! {
    activity_participants (activity_id, representative_id) {
        activity_id -> Uuid,
        representative_id -> Uuid,
        planned -> Bool,
        attended -> Bool,
        starts_at -> Timestamptz,
        kind -> Text,
        activity_held -> Bool,
    }
}

diesel::table! {
    activity_contacts (activity_id, voter_id) {
        activity_id -> Uuid,
        voter_id -> Uuid,
    }
}

diesel::table! {
    reception_registrations (id) {
        id -> Uuid,
        activity_id -> Uuid,
        visitor_name -> Text,
        phone -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    activity_evaluations (id) {
        id -> Uuid,
        activity_id -> Uuid,
        voter_id -> Nullable<Uuid>,
        rating -> Text,
        recorded_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    reception_rules (id) {
        id -> Uuid,
        liaison_group_id -> Uuid,
        rrule -> Text,
        dtstart -> Date,
        start_time -> Time,
        end_time -> Time,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        ends_on -> Nullable<Date>,
    }
}

diesel::table! {
    reception_rule_versions (rule_id, effective_from) {
        rule_id -> Uuid,
        effective_from -> Date,
        representative_ids -> Array<Uuid>,
        exdates -> Array<Date>,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    appointments (id) {
        id -> Uuid,
        voter_id -> Uuid,
        representative_id -> Uuid,
        committee_id -> Uuid,
        liaison_group_id -> Uuid,
        topic -> Text,
        preferred_times -> Jsonb,
        state -> Text,
        decline_reason -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        activity_id -> Nullable<Uuid>,
        version -> Int4,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(constituencies -> committees (committee_id));
diesel::joinable!(representatives -> constituencies (constituency_id));
diesel::joinable!(representatives -> liaison_groups (liaison_group_id));
diesel::joinable!(voters -> constituencies (constituency_id));
diesel::joinable!(contact_links -> representatives (representative_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(contact_links -> voters (voter_id));
diesel::joinable!(liaison_groups -> committees (committee_id));

diesel::joinable!(handling_bodies -> committees (committee_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(opinions -> committees (committee_id));
diesel::joinable!(opinions -> constituencies (constituency_id));
diesel::joinable!(referrals -> opinions (opinion_id));
diesel::joinable!(opinion_search_texts -> opinions (opinion_id));
diesel::joinable!(referrals -> handling_bodies (handling_body_id));
diesel::joinable!(opinion_events -> opinions (opinion_id));
diesel::joinable!(activity_participants -> activities (activity_id));
diesel::joinable!(activity_events -> activities (activity_id));
diesel::joinable!(activity_participants -> representatives (representative_id));
diesel::joinable!(activity_contacts -> activities (activity_id));
diesel::joinable!(reception_registrations -> activities (activity_id));
diesel::joinable!(activity_evaluations -> activities (activity_id));
diesel::joinable!(reception_rules -> liaison_groups (liaison_group_id));
diesel::joinable!(reception_rule_versions -> reception_rules (rule_id));
diesel::joinable!(notifications -> opinions (opinion_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    phone_codes,
    committees,
    committee_policy_generation,
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
    congress_sessions,
    notifications,
    calendar_days,
    opinions,
    referrals,
    opinion_events,
    opinion_search_texts,
    outbox,
    changes_horizon,
    service_clients,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    webhook_fanout,
    idempotency_keys,
    activities,
    activity_events,
    activity_participants,
    activity_contacts,
    reception_registrations,
    activity_evaluations,
    reception_rules,
    reception_rule_versions,
    appointments,
);
