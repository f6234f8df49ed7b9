-- A voter who registered themself proves their phone with a one-time code before they may
-- submit anything; voters entered by staff were checked by staff.
ALTER TABLE voters ADD COLUMN self_registered boolean NOT NULL DEFAULT false;

-- The code sent to a self-registered voter's phone: kept hashed, short-lived, few tries.
CREATE TABLE phone_codes (
    voter_id    uuid PRIMARY KEY REFERENCES voters (id) ON DELETE CASCADE,
    code_hash   bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
