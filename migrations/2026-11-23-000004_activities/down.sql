ALTER TABLE committee_policies
    DROP COLUMN publish_days_ahead,
    DROP COLUMN annual_reports_per_year,
    DROP COLUMN household_contacts_per_month,
    DROP COLUMN rota_receptions_per_month,
    DROP COLUMN centralised_contact_by_month,
    DROP COLUMN pre_session_by_month;
DROP TABLE appointments;
DROP TABLE reception_rules;
DROP TABLE activity_evaluations;
ALTER TABLE opinions DROP CONSTRAINT opinions_activity_id_fkey;
ALTER TABLE opinions DROP COLUMN registration_id;
DROP TABLE reception_registrations;
DROP TABLE activity_contacts;
DROP TABLE activity_participants;
DROP TABLE activities;
