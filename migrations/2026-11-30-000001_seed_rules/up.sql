-- Issue 14: the seeds' rules judged right.

-- Congress sessions (人民代表大会会议) per level: the pre-session consultation is judged against
-- each session's opening, not a fixed month (township rules §2).
CREATE TABLE congress_sessions (
    id          uuid PRIMARY KEY,
    level       text NOT NULL CHECK (level IN ('district', 'city')),
    term        integer NOT NULL CHECK (term BETWEEN 1 AND 100),
    number      integer NOT NULL CHECK (number BETWEEN 1 AND 100),
    opens_on    date NOT NULL,
    closes_on   date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (closes_on >= opens_on),
    CONSTRAINT congress_sessions_key UNIQUE (level, term, number)
);
CREATE INDEX congress_sessions_opens_idx ON congress_sessions (level, opens_on);

-- Minimum contact links beside the caps (county rules §3①, township rules §3), the window
-- before a session in which the consultation counts, and how referrals are routed.
ALTER TABLE committee_policies
    ADD COLUMN min_fixed_households integer CHECK (min_fixed_households BETWEEN 0 AND 1000),
    ADD COLUMN min_voter_liaisons integer CHECK (min_voter_liaisons BETWEEN 0 AND 1000),
    ADD COLUMN pre_session_window_days integer CHECK (pre_session_window_days BETWEEN 1 AND 366),
    ADD COLUMN referral_route text CHECK (referral_route IN ('direct', 'via_parent'));

-- Contact links are dated: a removal ends the link, it is never deleted, so each month is
-- judged on the links in force in it. A link is in force from `valid_from` and no longer on
-- `valid_until`.
ALTER TABLE contact_links
    ADD COLUMN valid_from date,
    ADD COLUMN valid_until date;
UPDATE contact_links SET valid_from = (created_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE contact_links
    ALTER COLUMN valid_from SET NOT NULL,
    ALTER COLUMN valid_from SET DEFAULT ((now() AT TIME ZONE 'Asia/Shanghai')::date),
    ADD CHECK (valid_until IS NULL OR valid_until >= valid_from);
DROP INDEX contact_links_key;
CREATE UNIQUE INDEX contact_links_key ON contact_links (representative_id, voter_id, kind)
    WHERE valid_until IS NULL;
CREATE INDEX contact_links_representative_idx ON contact_links (representative_id, valid_from);

-- A reception rule's rota and called-off dates are versioned: a change applies from its
-- `effective_from` on, so months already judged keep the deputies they had. A rule ends on
-- `ends_on` (no receptions from that day) instead of being deleted.
CREATE TABLE reception_rule_versions (
    rule_id             uuid NOT NULL REFERENCES reception_rules (id) ON DELETE CASCADE,
    effective_from      date NOT NULL,
    representative_ids  uuid[] NOT NULL CHECK (cardinality(representative_ids) BETWEEN 1 AND 50),
    exdates             date[] NOT NULL DEFAULT '{}' CHECK (cardinality(exdates) <= 366),
    created_by          uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, effective_from)
);
CREATE INDEX reception_rule_versions_representatives_idx
    ON reception_rule_versions USING gin (representative_ids);
INSERT INTO reception_rule_versions (rule_id, effective_from, representative_ids, exdates, created_by, created_at)
    SELECT id, dtstart, representative_ids, exdates, created_by, created_at FROM reception_rules;
ALTER TABLE reception_rules
    DROP COLUMN representative_ids,
    DROP COLUMN exdates,
    ADD COLUMN ends_on date;

-- A received opinion may be handed up to the parent committee (township station rules §6).
ALTER TABLE opinion_events DROP CONSTRAINT opinion_events_action_check;
ALTER TABLE opinion_events ADD CONSTRAINT opinion_events_action_check
    CHECK (action IN ('receive', 'refer', 'transfer', 'answer', 'feed_back', 'decline', 'reopen',
                      'rate', 'accept', 'edit', 'escalate'));

-- UUIDv7 made by the database, for rows written by set-based statements (notifications), so
-- their ids sort by creation like every other id.
CREATE FUNCTION uuid_generate_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid;
$$;

-- Staff notifications (station rules §6: 情况紧急的,应及时报告区、镇人大办公室): an urgent
-- opinion, a lead referral past its due date. At most one per account, kind, opinion and
-- referral, so two replicas writing the same notification write it once.
CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('urgent_opinion', 'referral_overdue')),
    opinion_id   uuid NOT NULL REFERENCES opinions (id) ON DELETE CASCADE,
    referral_id  uuid REFERENCES referrals (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    read_at      timestamptz
);
CREATE UNIQUE INDEX notifications_once ON notifications
    (account_id, kind, opinion_id, (coalesce(referral_id, '00000000-0000-0000-0000-000000000000'::uuid)));
CREATE INDEX notifications_account_idx ON notifications (account_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (account_id, id DESC) WHERE read_at IS NULL;

-- The overdue sweep claims each lead referral once. Referrals already overdue when this
-- migration runs are not announced after the fact.
ALTER TABLE referrals ADD COLUMN overdue_notified_at timestamptz;
UPDATE referrals SET overdue_notified_at = now()
    WHERE due_at < now() AND answered_at IS NULL AND returned_at IS NULL;
CREATE INDEX referrals_overdue_sweep_idx ON referrals (due_at)
    WHERE role = 'lead' AND answered_at IS NULL AND returned_at IS NULL AND overdue_notified_at IS NULL;

-- Each activity's timeline (Measures Art. 8(2)–(3): plans change and are published later).
-- Append-only, as the opinions' timeline.
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TABLE activity_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid NOT NULL UNIQUE,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE RESTRICT,
    action       text NOT NULL CHECK (action IN ('planned', 'changed', 'held', 'cancelled',
                                                  'declared', 'confirmed', 'rejected')),
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid REFERENCES accounts (id) ON DELETE RESTRICT,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX activity_events_activity_idx ON activity_events (activity_id, seq);
CREATE TRIGGER activity_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON activity_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER activity_events_no_truncate
    BEFORE TRUNCATE ON activity_events
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- Deputies declare their own activities (township rules §5: 代表自行申报); staff confirm them
-- (they become planned) or reject them with a reason. Only confirmed ones can be held and so
-- count in duty records and obligations.
ALTER TABLE activities DROP CONSTRAINT activities_status_check;
ALTER TABLE activities
    ADD CONSTRAINT activities_status_check
        CHECK (status IN ('declared', 'planned', 'held', 'cancelled', 'rejected')),
    ADD COLUMN reject_reason text CHECK (char_length(reject_reason) BETWEEN 1 AND 2000),
    ADD COLUMN rejected_at timestamptz,
    ADD CONSTRAINT activities_rejected_check
        CHECK ((status = 'rejected') = (reject_reason IS NOT NULL AND rejected_at IS NOT NULL));

-- The text of a report to voters (Measures Art. 7: in writing or orally), kept for the
-- constituency's voters to read.
ALTER TABLE activities
    ADD COLUMN report_text text CHECK (char_length(report_text) BETWEEN 1 AND 50000),
    ADD CONSTRAINT activities_report_text_kind_check
        CHECK (report_text IS NULL OR kind = 'annual_report');

-- A station's people are people (station rules §2): its head is a deputy of the group (the
-- deputy-group leader), its liaison officers are group-staff accounts of the group. Officers
-- attend activities and pass answers back to voters (station rules §6: 通过代表联络员向群众反馈).
-- Accounts are never deleted (only disabled), so the account ids kept in arrays stay valid;
-- the service checks each is a group-staff account of the group when it is written.
ALTER TABLE liaison_groups
    ADD COLUMN head_representative_id uuid REFERENCES representatives (id) ON DELETE SET NULL,
    ADD COLUMN officer_account_ids uuid[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(officer_account_ids) <= 50);
ALTER TABLE activities
    ADD COLUMN attendee_officer_ids uuid[] NOT NULL DEFAULT '{}'
        CHECK (cardinality(attendee_officer_ids) <= 50);
