-- Opinions (意见建议): the records, their referrals to handling bodies, the append-only
-- timeline, the working-day calendar that due dates count against, a transactional outbox
-- and idempotency keys for retried writes.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The state council's yearly holiday notice: public holidays that fall on weekdays and the
-- weekend days that become working days (调休). Any other day is a working day Monday to Friday.
CREATE TABLE calendar_days (
    day         date PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name        text NOT NULL DEFAULT '' CHECK (char_length(name) <= 100),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Due-date rules and the category taxonomy differ between districts; null inherits.
ALTER TABLE committee_policies
    ADD COLUMN refer_working_days             integer CHECK (refer_working_days BETWEEN 1 AND 365),
    ADD COLUMN answer_months                  integer CHECK (answer_months BETWEEN 1 AND 24),
    ADD COLUMN feed_back_working_days         integer CHECK (feed_back_working_days BETWEEN 1 AND 365),
    ADD COLUMN urgent_refer_working_days      integer CHECK (urgent_refer_working_days BETWEEN 1 AND 365),
    ADD COLUMN urgent_answer_working_days     integer CHECK (urgent_answer_working_days BETWEEN 1 AND 365),
    ADD COLUMN urgent_feed_back_working_days  integer CHECK (urgent_feed_back_working_days BETWEEN 1 AND 365),
    ADD COLUMN max_reopen_rounds              integer CHECK (max_reopen_rounds BETWEEN 0 AND 20),
    ADD COLUMN categories                     text[] CHECK (cardinality(categories) BETWEEN 1 AND 100);

CREATE TABLE opinions (
    id                uuid PRIMARY KEY,
    -- Where it belongs, fixed at receipt so scope checks need no joins: the constituency's
    -- committee, and the liaison group and deputy that took it (if any).
    committee_id      uuid NOT NULL REFERENCES committees (id) ON DELETE RESTRICT,
    constituency_id   uuid NOT NULL REFERENCES constituencies (id) ON DELETE RESTRICT,
    liaison_group_id  uuid REFERENCES liaison_groups (id) ON DELETE RESTRICT,
    representative_id uuid REFERENCES representatives (id) ON DELETE RESTRICT,
    -- Null: anonymous.
    voter_id          uuid REFERENCES voters (id) ON DELETE RESTRICT,
    -- The reception or forum it was raised at (activities come with their own migration).
    activity_id       uuid,
    title             text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    content           text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 10000),
    category          text NOT NULL CHECK (char_length(category) BETWEEN 1 AND 50),
    location          text CHECK (char_length(location) <= 500),
    source            text NOT NULL CHECK (source IN ('online', 'reception', 'visit', 'forum', 'letter')),
    urgent            boolean NOT NULL DEFAULT false,
    public_consent    boolean NOT NULL DEFAULT false,
    state             text NOT NULL DEFAULT 'received'
                      CHECK (state IN ('received', 'referred', 'answered', 'fed_back', 'declined')),
    -- 1 at first; each reopen after an unsatisfied rating starts the next round.
    round             integer NOT NULL DEFAULT 1 CHECK (round >= 1),
    received_at       timestamptz NOT NULL DEFAULT now(),
    -- The due date of the current step; null once nothing is owed.
    current_due_at    timestamptz,
    outcome           text CHECK (outcome IN ('resolved', 'partly_resolved', 'explained_unresolvable')),
    rating            text CHECK (rating IN ('satisfied', 'basically_satisfied', 'unsatisfied')),
    rating_comment    text CHECK (char_length(rating_comment) <= 2000),
    rated_at          timestamptz,
    -- Bumped by every write; the ETag.
    version           integer NOT NULL DEFAULT 1,
    created_by        uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((rating IS NULL) = (rated_at IS NULL))
);
-- Every list filter and every scope filter has an index ending in id, the keyset column.
CREATE INDEX opinions_committee_id_idx ON opinions (committee_id, id);
CREATE INDEX opinions_constituency_id_idx ON opinions (constituency_id, id);
CREATE INDEX opinions_liaison_group_id_idx ON opinions (liaison_group_id, id) WHERE liaison_group_id IS NOT NULL;
CREATE INDEX opinions_representative_id_idx ON opinions (representative_id, id) WHERE representative_id IS NOT NULL;
CREATE INDEX opinions_voter_id_idx ON opinions (voter_id, id) WHERE voter_id IS NOT NULL;
CREATE INDEX opinions_state_idx ON opinions (state, id);
CREATE INDEX opinions_category_idx ON opinions (category, id);
CREATE INDEX opinions_received_at_idx ON opinions (received_at);
CREATE INDEX opinions_urgent_idx ON opinions (id) WHERE urgent;
CREATE INDEX opinions_open_due_idx ON opinions (current_due_at) WHERE current_due_at IS NOT NULL;
CREATE INDEX opinions_activity_id_idx ON opinions (activity_id) WHERE activity_id IS NOT NULL;
-- Substring search in Chinese: trigrams need no word segmentation.
CREATE INDEX opinions_title_trgm_idx ON opinions USING gin (title gin_trgm_ops);
CREATE INDEX opinions_content_trgm_idx ON opinions USING gin (content gin_trgm_ops);

-- One row per body an opinion was sent to, per round. A transfer returns the lead referral
-- (kept, with its reason) and adds a new one.
CREATE TABLE referrals (
    id                uuid PRIMARY KEY,
    opinion_id        uuid NOT NULL REFERENCES opinions (id) ON DELETE RESTRICT,
    handling_body_id  uuid NOT NULL REFERENCES handling_bodies (id) ON DELETE RESTRICT,
    role              text NOT NULL CHECK (role IN ('lead', 'assisting')),
    channel           text NOT NULL CHECK (channel IN ('session_suggestion', 'recess_suggestion',
                          'supervision_express', 'committee_meeting', 'state_organ_report',
                          'city_deputy', 'township_government')),
    round             integer NOT NULL CHECK (round >= 1),
    referred_at       timestamptz NOT NULL DEFAULT now(),
    referred_by       uuid REFERENCES accounts (id) ON DELETE SET NULL,
    due_at            timestamptz NOT NULL,
    accepted_at       timestamptz,
    returned_at       timestamptz,
    return_reason     text CHECK (char_length(return_reason) <= 2000),
    answered_at       timestamptz,
    outcome           text CHECK (outcome IN ('resolved', 'partly_resolved', 'explained_unresolvable')),
    answer_text       text CHECK (char_length(answer_text) <= 10000),
    answered_by       uuid REFERENCES accounts (id) ON DELETE SET NULL,
    CHECK ((returned_at IS NULL) = (return_reason IS NULL)),
    CHECK ((answered_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX referrals_opinion_id_idx ON referrals (opinion_id, referred_at);
-- A body's work list: what is referred to it and not returned.
CREATE INDEX referrals_body_open_idx ON referrals (handling_body_id, opinion_id) WHERE returned_at IS NULL;
-- At most one live lead per opinion and round: the database, not only the code, says so.
CREATE UNIQUE INDEX referrals_one_lead_key ON referrals (opinion_id, round)
    WHERE role = 'lead' AND returned_at IS NULL;

-- The timeline. Append-only: rows are never changed or removed, and the opinion's state always
-- equals the target of its last event (both enforced below).
CREATE TABLE opinion_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    opinion_id   uuid NOT NULL REFERENCES opinions (id) ON DELETE RESTRICT,
    action       text NOT NULL CHECK (action IN ('receive', 'refer', 'transfer', 'answer',
                     'feed_back', 'decline', 'reopen', 'rate', 'accept', 'edit')),
    from_state   text,
    to_state     text NOT NULL,
    round        integer NOT NULL,
    actor_id     uuid REFERENCES accounts (id) ON DELETE RESTRICT,
    actor_role   text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Internal notes are for staff; voters see only the rest.
    internal     boolean NOT NULL DEFAULT false
);
CREATE INDEX opinion_events_opinion_idx ON opinion_events (opinion_id, seq);

CREATE FUNCTION opinion_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'opinion_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER opinion_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON opinion_events
    FOR EACH ROW EXECUTE FUNCTION opinion_events_append_only();
CREATE TRIGGER opinion_events_no_truncate
    BEFORE TRUNCATE ON opinion_events
    FOR EACH STATEMENT EXECUTE FUNCTION opinion_events_append_only();

-- Checked at commit, so a transaction may write the opinion and its event in either order.
CREATE FUNCTION opinions_state_matches_timeline() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_state text;
    last_target text;
BEGIN
    SELECT state INTO current_state FROM opinions WHERE id = NEW.id;
    SELECT to_state INTO last_target FROM opinion_events
        WHERE opinion_id = NEW.id ORDER BY seq DESC LIMIT 1;
    IF last_target IS DISTINCT FROM current_state THEN
        RAISE EXCEPTION 'opinion % is % but its timeline ends at %', NEW.id, current_state, last_target
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER opinions_state_matches_timeline
    AFTER INSERT OR UPDATE ON opinions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION opinions_state_matches_timeline();

-- Written in the same transaction as the change it announces; the webhook and changes-feed
-- workers read it. Payloads carry ids and states, never personal data.
CREATE TABLE outbox (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic         text NOT NULL,
    aggregate_id  uuid NOT NULL,
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;

-- Retried writes (Idempotency-Key): the first successful answer, replayed to repeats.
CREATE TABLE idempotency_keys (
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key            text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 200),
    request_hash   bytea NOT NULL,
    status         integer,
    response_body  bytea,
    etag           text,
    location       text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
