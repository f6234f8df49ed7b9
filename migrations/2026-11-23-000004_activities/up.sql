-- Contact activities (联系选民活动): work plans and their records, reception registrations,
-- evaluations of reports to voters, recurring reception rules, meetings at a voter's request,
-- and the per-committee thresholds of each deputy's obligations.

CREATE TABLE activities (
    id                      uuid PRIMARY KEY,
    kind                    text NOT NULL CHECK (kind IN ('centralised_contact',
                                'pre_session_consultation', 'annual_report',
                                'supervision_consultation', 'voter_requested',
                                'city_deputy_contact', 'station_reception', 'inspection')),
    form                    text NOT NULL CHECK (form IN ('individual_talk', 'forum', 'visit',
                                'online', 'reception')),
    -- The scope column: the organising committee, or the organising group's committee.
    committee_id            uuid NOT NULL REFERENCES committees (id) ON DELETE RESTRICT,
    organiser_committee_id  uuid REFERENCES committees (id) ON DELETE RESTRICT,
    organiser_group_id      uuid REFERENCES liaison_groups (id) ON DELETE RESTRICT,
    -- The venue: a home or station, or an address.
    liaison_group_id        uuid REFERENCES liaison_groups (id) ON DELETE RESTRICT,
    address                 text CHECK (char_length(address) BETWEEN 1 AND 500),
    starts_at               timestamptz NOT NULL,
    ends_at                 timestamptz NOT NULL,
    topic                   text NOT NULL CHECK (char_length(topic) BETWEEN 1 AND 500),
    published               boolean NOT NULL DEFAULT false,
    published_at            timestamptz,
    status                  text NOT NULL DEFAULT 'planned'
                            CHECK (status IN ('planned', 'held', 'cancelled')),
    voters_met              integer CHECK (voters_met BETWEEN 0 AND 100000),
    summary                 text CHECK (char_length(summary) BETWEEN 1 AND 10000),
    held_at                 timestamptz,
    cancel_reason           text CHECK (char_length(cancel_reason) BETWEEN 1 AND 2000),
    cancelled_at            timestamptz,
    version                 integer NOT NULL DEFAULT 1,
    created_by              uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK ((organiser_committee_id IS NULL) <> (organiser_group_id IS NULL)),
    -- 三落实: the place is always set (the person lives in activity_participants).
    CHECK (liaison_group_id IS NOT NULL OR address IS NOT NULL),
    CHECK (ends_at > starts_at),
    CHECK (published = (published_at IS NOT NULL)),
    CHECK ((status = 'held') = (held_at IS NOT NULL AND voters_met IS NOT NULL AND summary IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancel_reason IS NOT NULL AND cancelled_at IS NOT NULL))
);
CREATE INDEX activities_committee_id_idx ON activities (committee_id, id);
CREATE INDEX activities_organiser_group_idx ON activities (organiser_group_id, id) WHERE organiser_group_id IS NOT NULL;
CREATE INDEX activities_venue_idx ON activities (liaison_group_id, starts_at) WHERE liaison_group_id IS NOT NULL;
CREATE INDEX activities_starts_at_idx ON activities (starts_at);
-- The public schedule reads only published, planned-or-held activities.
CREATE INDEX activities_public_idx ON activities (starts_at) WHERE published AND status <> 'cancelled';

-- The deputies of an activity: planned (the work plan's "person") and, once held, present.
CREATE TABLE activity_participants (
    activity_id        uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    representative_id  uuid NOT NULL REFERENCES representatives (id) ON DELETE RESTRICT,
    planned            boolean NOT NULL DEFAULT false,
    attended           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (activity_id, representative_id),
    CHECK (planned OR attended)
);
CREATE INDEX activity_participants_representative_idx ON activity_participants (representative_id, activity_id);

-- Voters met by id at a held activity: how contact with fixed-contact households is shown.
CREATE TABLE activity_contacts (
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    voter_id     uuid NOT NULL REFERENCES voters (id) ON DELETE RESTRICT,
    PRIMARY KEY (activity_id, voter_id)
);
CREATE INDEX activity_contacts_voter_idx ON activity_contacts (voter_id, activity_id);

-- The reception form (接访登记表): who came. What they raised is an opinion pointing here.
CREATE TABLE reception_registrations (
    id            uuid PRIMARY KEY,
    activity_id   uuid NOT NULL REFERENCES activities (id) ON DELETE RESTRICT,
    visitor_name  text NOT NULL CHECK (char_length(visitor_name) BETWEEN 1 AND 100),
    phone         text CHECK (char_length(phone) BETWEEN 3 AND 30),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reception_registrations_activity_idx ON reception_registrations (activity_id, id);

ALTER TABLE opinions
    ADD COLUMN registration_id uuid REFERENCES reception_registrations (id) ON DELETE RESTRICT;
-- NOT VALID: before this migration activity_id was stored unchecked, and an old row naming an
-- activity that never existed must not stop the upgrade. New and changed rows are checked.
ALTER TABLE opinions
    ADD CONSTRAINT opinions_activity_id_fkey FOREIGN KEY (activity_id)
        REFERENCES activities (id) ON DELETE RESTRICT NOT VALID;

-- Evaluations of a report to voters (述职评议): one per voter; paper forms have no voter.
CREATE TABLE activity_evaluations (
    id           uuid PRIMARY KEY,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    voter_id     uuid REFERENCES voters (id) ON DELETE RESTRICT,
    rating       text NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    recorded_by  uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (activity_id, voter_id)
);

-- Published reception times of a home or station, as an RFC 5545 recurrence rule in
-- Asia/Shanghai local time, with the deputies on duty and dates called off.
CREATE TABLE reception_rules (
    id                  uuid PRIMARY KEY,
    liaison_group_id    uuid NOT NULL REFERENCES liaison_groups (id) ON DELETE CASCADE,
    rrule               text NOT NULL CHECK (char_length(rrule) BETWEEN 1 AND 500),
    dtstart             date NOT NULL,
    start_time          time NOT NULL,
    end_time            time NOT NULL,
    representative_ids  uuid[] NOT NULL CHECK (cardinality(representative_ids) BETWEEN 1 AND 50),
    exdates             date[] NOT NULL DEFAULT '{}' CHECK (cardinality(exdates) <= 366),
    created_by          uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (end_time > start_time)
);
CREATE INDEX reception_rules_group_idx ON reception_rules (liaison_group_id, id);
CREATE INDEX reception_rules_representatives_idx ON reception_rules USING gin (representative_ids);

-- A voter asks to meet a deputy (约请).
CREATE TABLE appointments (
    id                 uuid PRIMARY KEY,
    voter_id           uuid NOT NULL REFERENCES voters (id) ON DELETE RESTRICT,
    representative_id  uuid NOT NULL REFERENCES representatives (id) ON DELETE RESTRICT,
    -- Scope columns, from the deputy's group when asked.
    committee_id       uuid NOT NULL REFERENCES committees (id) ON DELETE RESTRICT,
    liaison_group_id   uuid NOT NULL REFERENCES liaison_groups (id) ON DELETE RESTRICT,
    topic              text NOT NULL CHECK (char_length(topic) BETWEEN 1 AND 500),
    preferred_times    jsonb NOT NULL DEFAULT '[]'::jsonb,
    state              text NOT NULL DEFAULT 'requested'
                       CHECK (state IN ('requested', 'accepted', 'declined', 'held', 'cancelled')),
    decline_reason     text CHECK (char_length(decline_reason) BETWEEN 1 AND 2000),
    cancel_reason      text CHECK (char_length(cancel_reason) BETWEEN 1 AND 2000),
    activity_id        uuid UNIQUE REFERENCES activities (id) ON DELETE RESTRICT,
    version            integer NOT NULL DEFAULT 1,
    created_by         uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'declined') = (decline_reason IS NOT NULL)),
    CHECK (state NOT IN ('accepted', 'held') OR activity_id IS NOT NULL)
);
CREATE INDEX appointments_committee_idx ON appointments (committee_id, id);
CREATE INDEX appointments_group_idx ON appointments (liaison_group_id, id);
CREATE INDEX appointments_representative_idx ON appointments (representative_id, id);
CREATE INDEX appointments_voter_idx ON appointments (voter_id, id);

-- Obligation thresholds differ between districts; null inherits (defaults in the code, from
-- the seed texts).
ALTER TABLE committee_policies
    ADD COLUMN publish_days_ahead           integer CHECK (publish_days_ahead BETWEEN 0 AND 60),
    ADD COLUMN annual_reports_per_year      integer CHECK (annual_reports_per_year BETWEEN 0 AND 12),
    ADD COLUMN household_contacts_per_month integer CHECK (household_contacts_per_month BETWEEN 0 AND 31),
    ADD COLUMN rota_receptions_per_month    integer CHECK (rota_receptions_per_month BETWEEN 0 AND 31),
    ADD COLUMN centralised_contact_by_month integer CHECK (centralised_contact_by_month BETWEEN 1 AND 12),
    ADD COLUMN pre_session_by_month         integer CHECK (pre_session_by_month BETWEEN 1 AND 12);
