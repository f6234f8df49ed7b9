-- Foundation: the organisation tree, handling bodies, accounts and their sessions.
-- Enumerations are text with CHECK constraints: adding a value is a one-line migration
-- and diesel maps them without custom SQL types.

CREATE TABLE committees (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('standing_committee', 'working_committee', 'joint_group', 'township')),
    parent_id   uuid REFERENCES committees (id) ON DELETE RESTRICT,
    -- Materialised path, root first and the row itself last. Subtree scope checks are then a
    -- single indexed `ancestors @> ARRAY[x]` instead of a recursive query on every request.
    ancestors   uuid[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ancestors[cardinality(ancestors)] = id),
    CHECK (kind = 'standing_committee' OR parent_id IS NOT NULL)
);
CREATE INDEX committees_ancestors_idx ON committees USING gin (ancestors);
CREATE INDEX committees_parent_id_idx ON committees (parent_id);
CREATE UNIQUE INDEX committees_sibling_name_key
    ON committees (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

-- The path is derived by the database so no code path can get it wrong.
CREATE FUNCTION committees_set_ancestors() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_path uuid[];
BEGIN
    IF NEW.parent_id IS NULL THEN
        NEW.ancestors := ARRAY[NEW.id];
        RETURN NEW;
    END IF;
    SELECT ancestors INTO parent_path FROM committees WHERE id = NEW.parent_id;
    IF parent_path IS NULL THEN
        RAISE EXCEPTION 'parent committee % does not exist', NEW.parent_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.id = ANY (parent_path) THEN
        RAISE EXCEPTION 'committee % cannot be moved under its own subtree', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.ancestors := parent_path || NEW.id;
    RETURN NEW;
END
$$;
CREATE TRIGGER committees_set_ancestors
    BEFORE INSERT OR UPDATE OF parent_id ON committees
    FOR EACH ROW EXECUTE FUNCTION committees_set_ancestors();

CREATE FUNCTION committees_move_subtree() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE committees c
       SET ancestors = NEW.ancestors || c.ancestors[array_position(c.ancestors, NEW.id) + 1:]
     WHERE c.ancestors @> ARRAY[NEW.id] AND c.id <> NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER committees_move_subtree
    AFTER UPDATE OF parent_id ON committees
    FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION committees_move_subtree();

CREATE TABLE liaison_groups (
    id                uuid PRIMARY KEY,
    committee_id      uuid NOT NULL REFERENCES committees (id) ON DELETE RESTRICT,
    kind              text NOT NULL CHECK (kind IN ('home', 'station', 'group')),
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    address           text NOT NULL CHECK (char_length(address) BETWEEN 1 AND 500),
    opening_hours     text CHECK (char_length(opening_hours) <= 500),
    head_name         text CHECK (char_length(head_name) <= 100),
    liaison_officers  text[] NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX liaison_groups_committee_id_idx ON liaison_groups (committee_id, id);
CREATE UNIQUE INDEX liaison_groups_committee_name_key ON liaison_groups (committee_id, name);

-- Handling bodies (承办单位). Their API arrives with the people issue; the table is here
-- because accounts of role handling_body bind to one.
CREATE TABLE handling_bodies (
    id            uuid PRIMARY KEY,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    kind          text NOT NULL CHECK (kind IN ('government_department', 'supervisory_commission', 'court',
                      'procuratorate', 'township_government', 'standing_committee', 'city_deputy', 'other')),
    committee_id  uuid NOT NULL REFERENCES committees (id) ON DELETE RESTRICT,
    contact       text CHECK (char_length(contact) <= 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX handling_bodies_committee_id_idx ON handling_bodies (committee_id, id);
CREATE UNIQUE INDEX handling_bodies_committee_name_key ON handling_bodies (committee_id, name);

CREATE TABLE accounts (
    id                 uuid PRIMARY KEY,
    username           text NOT NULL CHECK (char_length(username) BETWEEN 3 AND 64),
    password_hash      text NOT NULL,
    role               text NOT NULL CHECK (role IN ('admin', 'committee_staff', 'group_staff',
                           'representative', 'handling_body', 'voter', 'service')),
    -- One typed column per kind of binding, so each has a real foreign key.
    committee_id       uuid REFERENCES committees (id) ON DELETE RESTRICT,
    liaison_group_id   uuid REFERENCES liaison_groups (id) ON DELETE RESTRICT,
    handling_body_id   uuid REFERENCES handling_bodies (id) ON DELETE RESTRICT,
    disabled_at        timestamptz,
    created_by         uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'committee_staff') = (committee_id IS NOT NULL)),
    CHECK ((role = 'group_staff') = (liaison_group_id IS NOT NULL)),
    CHECK ((role = 'handling_body') = (handling_body_id IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_username_key ON accounts (lower(username));
CREATE INDEX accounts_committee_id_idx ON accounts (committee_id) WHERE committee_id IS NOT NULL;
CREATE INDEX accounts_liaison_group_id_idx ON accounts (liaison_group_id) WHERE liaison_group_id IS NOT NULL;
CREATE INDEX accounts_handling_body_id_idx ON accounts (handling_body_id) WHERE handling_body_id IS NOT NULL;

-- A session is one log-in: the family of refresh tokens rotated from it. Access tokens carry
-- the session id, so revoking a session ends its access tokens at once.
CREATE TABLE sessions (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text
);
CREATE INDEX sessions_account_id_idx ON sessions (account_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- Failed log-in counters, keyed by 'account:<lower(username)>' or 'address:<ip>'. Kept in the
-- database so the limit holds across restarts and replicas.
CREATE TABLE login_throttle (
    key                text PRIMARY KEY,
    failures           integer NOT NULL,
    window_started_at  timestamptz NOT NULL
);
