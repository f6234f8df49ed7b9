-- Webhooks (Standard Webhooks): endpoints that receive the changes their owner could read
-- from the feed, signed with a secret of their own.
--
-- An endpoint belongs to a service client or to a staff account, and reads within
-- `committee_id`'s subtree (NULL: the whole district), copied from its owner when created.
-- Its secret must be usable for signing, so it is sealed (AES-GCM under a key derived from
-- LIAISON_PII_KEY), never stored in the clear.
CREATE TABLE webhook_endpoints (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
    url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    -- Exact change types or `kind.*` prefixes; NULL for every type.
    event_types text[],
    secret_sealed bytea NOT NULL,
    owner_client_id uuid REFERENCES service_clients (id),
    owner_account_id uuid REFERENCES accounts (id),
    committee_id uuid REFERENCES committees (id),
    enabled boolean NOT NULL DEFAULT true,
    disabled_reason text,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((owner_client_id IS NULL) <> (owner_account_id IS NULL))
);
CREATE INDEX webhook_endpoints_owner_client_idx ON webhook_endpoints (owner_client_id);
CREATE INDEX webhook_endpoints_owner_account_idx ON webhook_endpoints (owner_account_id);
CREATE INDEX webhook_endpoints_committee_idx ON webhook_endpoints (committee_id);

-- One message to one endpoint. Its id is the `webhook-id` of every attempt, so a receiver
-- can drop a repeat; `body` is kept byte for byte so every attempt signs the same payload.
-- A claimed delivery is leased (`leased_until`) to one server at a time.
CREATE TABLE webhook_deliveries (
    id uuid PRIMARY KEY DEFAULT uuid_generate_v7(),
    endpoint_id uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_type text NOT NULL,
    -- The outbox row announced (NULL for a ping): one delivery per change and endpoint.
    change_seq bigint,
    body text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    -- Attempts made before the retry schedule last (re)started: a manual retry starts it over.
    retry_base integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (endpoint_id, change_seq)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id DESC);

-- Every attempt, as the endpoint's owner sees it in `GET /webhooks/{id}/deliveries`.
CREATE TABLE webhook_attempts (
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    attempted_at timestamptz NOT NULL,
    status_code integer,
    latency_ms integer NOT NULL,
    error text,
    PRIMARY KEY (delivery_id, attempt)
);

-- How far the changes have been fanned out to endpoints: one row, moved forward in the same
-- transaction that writes the deliveries, so each change is fanned out exactly once.
CREATE TABLE webhook_fanout (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    txid bigint NOT NULL,
    seq bigint NOT NULL
);
INSERT INTO webhook_fanout (txid, seq) VALUES (0, 0);
