-- Machines get their own door: OAuth 2.0 client credentials (RFC 6749 §4.4). A client holds
-- scopes and, optionally, a committee whose subtree bounds what it sees. Secrets are 32 random
-- bytes, stored only as SHA-256 (a slow hash adds nothing to a secret nobody chose). A rotated
-- secret keeps working until `previous_secret_expires_at`.
CREATE TABLE service_clients (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
    client_id text NOT NULL UNIQUE,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    scopes text[] NOT NULL,
    committee_id uuid REFERENCES committees (id),
    secret_sha256 bytea NOT NULL,
    previous_secret_sha256 bytea,
    previous_secret_expires_at timestamptz,
    created_by uuid REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX service_clients_committee_idx ON service_clients (committee_id);

-- The password-login `service` role goes away: such accounts can no longer sign in.
UPDATE accounts SET disabled_at = now() WHERE role = 'service' AND disabled_at IS NULL;
