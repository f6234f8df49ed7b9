-- People: constituencies, representatives, voters, contact links, and the per-committee
-- limits on contact links.

CREATE TABLE constituencies (
    id            uuid PRIMARY KEY,
    committee_id  uuid NOT NULL REFERENCES committees (id) ON DELETE RESTRICT,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    -- The natural key imports match on (e.g. "BBS-03").
    code          text NOT NULL CHECK (char_length(code) BETWEEN 1 AND 50),
    area          text CHECK (char_length(area) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX constituencies_code_key ON constituencies (code);
CREATE INDEX constituencies_committee_id_idx ON constituencies (committee_id, id);

CREATE TABLE representatives (
    id                uuid PRIMARY KEY,
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    gender            text NOT NULL CHECK (gender IN ('male', 'female')),
    level             text NOT NULL CHECK (level IN ('district', 'city')),
    term              integer NOT NULL CHECK (term BETWEEN 1 AND 99),
    constituency_id   uuid REFERENCES constituencies (id) ON DELETE RESTRICT,
    liaison_group_id  uuid NOT NULL REFERENCES liaison_groups (id) ON DELETE RESTRICT,
    employer          text CHECK (char_length(employer) <= 200),
    position          text CHECK (char_length(position) <= 200),
    -- Published (公示) contact channel, e.g. the station's phone or a mailbox.
    public_contact    text CHECK (char_length(public_contact) <= 200),
    -- Private: staff in scope and the deputy only.
    phone             text CHECK (char_length(phone) <= 20),
    status            text NOT NULL DEFAULT 'serving' CHECK (status IN ('serving', 'left')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- City-level deputies may have no constituency of the district; district deputies must.
    CHECK (level = 'city' OR constituency_id IS NOT NULL)
);
CREATE UNIQUE INDEX representatives_natural_key ON representatives (term, liaison_group_id, name);
CREATE INDEX representatives_liaison_group_id_idx ON representatives (liaison_group_id, id);
CREATE INDEX representatives_constituency_id_idx ON representatives (constituency_id, id);

CREATE TABLE voters (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    constituency_id     uuid NOT NULL REFERENCES constituencies (id) ON DELETE RESTRICT,
    phone               text NOT NULL CHECK (char_length(phone) BETWEEN 5 AND 20),
    -- ID numbers are sensitive personal information (PIPL art. 28): stored AES-256-GCM
    -- encrypted, found by a keyed HMAC, shown only masked.
    id_number_ciphertext bytea,
    id_number_hmac       bytea,
    id_number_masked     text,
    address             text CHECK (char_length(address) <= 500),
    verified_at         timestamptz,
    verified_by         uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((id_number_ciphertext IS NULL) = (id_number_hmac IS NULL))
);
CREATE UNIQUE INDEX voters_id_number_hmac_key ON voters (id_number_hmac) WHERE id_number_hmac IS NOT NULL;
CREATE UNIQUE INDEX voters_natural_key ON voters (constituency_id, name, phone);
CREATE INDEX voters_constituency_id_idx ON voters (constituency_id, id);
-- Staff look voters up by phone (`?phone=`), and imports match on it.
CREATE INDEX voters_phone_idx ON voters (phone);

CREATE TABLE contact_links (
    id                 uuid PRIMARY KEY,
    representative_id  uuid NOT NULL REFERENCES representatives (id) ON DELETE CASCADE,
    voter_id           uuid NOT NULL REFERENCES voters (id) ON DELETE CASCADE,
    kind               text NOT NULL CHECK (kind IN ('fixed_household', 'voter_liaison')),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contact_links_key ON contact_links (representative_id, voter_id, kind);
CREATE INDEX contact_links_voter_id_idx ON contact_links (voter_id);

-- Rules that differ between districts. A committee without a row inherits from the nearest
-- ancestor that has one, then the defaults from the seed texts.
CREATE TABLE committee_policies (
    committee_id             uuid PRIMARY KEY REFERENCES committees (id) ON DELETE CASCADE,
    max_fixed_households     integer CHECK (max_fixed_households BETWEEN 0 AND 1000),
    max_voter_liaisons       integer CHECK (max_voter_liaisons BETWEEN 0 AND 1000),
    updated_at               timestamptz NOT NULL DEFAULT now()
);

-- Accounts of deputies and voters bind to their record.
ALTER TABLE accounts
    ADD COLUMN representative_id uuid REFERENCES representatives (id) ON DELETE RESTRICT,
    ADD COLUMN voter_id uuid REFERENCES voters (id) ON DELETE RESTRICT,
    ADD CHECK (representative_id IS NULL OR role = 'representative'),
    ADD CHECK (voter_id IS NULL OR role = 'voter');
CREATE UNIQUE INDEX accounts_representative_id_key ON accounts (representative_id) WHERE representative_id IS NOT NULL;
CREATE UNIQUE INDEX accounts_voter_id_key ON accounts (voter_id) WHERE voter_id IS NOT NULL;
