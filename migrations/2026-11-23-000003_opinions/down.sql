DROP TABLE idempotency_keys;
DROP TABLE outbox;
DROP TRIGGER opinions_state_matches_timeline ON opinions;
DROP FUNCTION opinions_state_matches_timeline();
DROP TABLE opinion_events;
DROP FUNCTION opinion_events_append_only();
DROP TABLE referrals;
DROP TABLE opinions;
ALTER TABLE committee_policies
    DROP COLUMN refer_working_days,
    DROP COLUMN answer_months,
    DROP COLUMN feed_back_working_days,
    DROP COLUMN urgent_refer_working_days,
    DROP COLUMN urgent_answer_working_days,
    DROP COLUMN urgent_feed_back_working_days,
    DROP COLUMN max_reopen_rounds,
    DROP COLUMN categories;
DROP TABLE calendar_days;
DROP EXTENSION IF EXISTS pg_trgm;
