-- Rotor schema, version 1: the CA hierarchy, issued certificates, API tokens and the audit log.
-- Forward-only: later changes are new V<n>__<verb>_<object>.sql files, never edits of this one.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Root and issuing CAs. The private key is stored PKCS#8-encrypted (PBES2, AES-256) under the
-- CA passphrase, or is NULL when the key lives outside the database (an imported CA's key file).
CREATE TABLE certificate_authorities (
    id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('root', 'intermediate')),
    subject         text        NOT NULL,
    serial          text        NOT NULL,
    certificate_der bytea       NOT NULL,
    encrypted_key   text,
    key_algorithm   text        NOT NULL,
    not_before      timestamptz NOT NULL,
    not_after       timestamptz NOT NULL,
    active          boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- At most one active CA of each kind.
CREATE UNIQUE INDEX certificate_authorities_one_active ON certificate_authorities (kind) WHERE active;

-- Every certificate the CA signed. serial is lower-case hex without leading zeros.
CREATE TABLE certificates (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial            text        NOT NULL UNIQUE,
    issuer_id         integer     NOT NULL REFERENCES certificate_authorities (id),
    profile           text        NOT NULL,
    channel           text        NOT NULL,
    requester         text        NOT NULL,
    subject           text        NOT NULL,
    sans              text[]      NOT NULL,
    search_text       text        NOT NULL,
    not_before        timestamptz NOT NULL,
    not_after         timestamptz NOT NULL,
    der               bytea       NOT NULL,
    revoked_at        timestamptz,
    revocation_reason text,
    revocation_seq    bigint UNIQUE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL)),
    CHECK ((revoked_at IS NULL) = (revocation_seq IS NULL))
);
-- Listing is keyset-paginated on id (newest first); these back the status filters and the CRL.
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_revoked ON certificates (id) WHERE revoked_at IS NOT NULL;
-- Substring search over serial, subject and SANs.
CREATE INDEX certificates_search ON certificates USING gin (search_text gin_trgm_ops);

-- Bumped by every revocation, so any replica can tell whether its CRL is stale.
CREATE SEQUENCE revocation_seq;
-- CRL numbers are monotonic across restarts and replicas (RFC 5280 §5.2.3).
CREATE SEQUENCE crl_number_seq;

-- API tokens, stored as SHA-256 of the token (tokens are 256-bit random, so a fast hash suffices).
CREATE TABLE api_tokens (
    id         integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL UNIQUE,
    role       text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_hash bytea       NOT NULL UNIQUE,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only, hash-chained audit log: hash = SHA-256(prev_hash || canonical entry).
-- seq is contiguous from 1, so a deleted entry leaves a gap the verifier sees.
CREATE TABLE audit_log (
    seq       bigint      PRIMARY KEY,
    at        timestamptz NOT NULL,
    actor     text        NOT NULL,
    action    text        NOT NULL,
    target    text,
    details   text        NOT NULL,
    prev_hash bytea       NOT NULL,
    hash      bytea       NOT NULL
);

-- The head of the chain; writers lock this row, so entries from every replica form one chain.
CREATE TABLE audit_head (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint  NOT NULL,
    hash bytea   NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- The audit log is append-only: refuse updates and deletes at the database.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
