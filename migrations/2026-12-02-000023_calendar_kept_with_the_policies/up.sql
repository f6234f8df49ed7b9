-- Each server keeps the working-day calendar as it keeps the committees' policies: an opinion's
-- step read the calendar from today on in every transaction, a statement of its own beside the
-- row lock. A holiday or a make-up working day now raises the policies' number, so the next
-- step or create on any server, which reads the number with its row lock, reads the calendar
-- again (`KeptPolicies::calendar`).
CREATE CONSTRAINT TRIGGER calendar_days_policy_changed
    AFTER INSERT OR UPDATE OR DELETE ON calendar_days
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION committee_policy_changed();
