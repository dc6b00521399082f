-- CA rotation (issue 9). Each CA row gets a slot state; the one-row ca_rotation table holds the
-- generation every replica polls (a change means "reload the CA rows"), the taint generation the
-- agents' revocation feed carries ("renew everything now"), and the lease deciding which replica
-- drives the scheduled transitions. Every transition is a journal transaction that locks this row
-- first and re-checks its condition, so it happens exactly once whoever runs it.
--
-- Intermediate states: prepared (in the bundle, not signing) -> active (signing) -> retired (in
-- the bundle until its last certificate expires) -> removed. A tainted CA (POST /api/v1/ca/taint)
-- stays in the bundle until POST /api/v1/ca/revoke-intermediate removes it. Roots: active,
-- prepared (a new root published before anything chains to it), retired, removed.
ALTER TABLE certificate_authorities
    ADD COLUMN state        text NOT NULL DEFAULT 'removed'
        CHECK (state IN ('prepared', 'active', 'retired', 'tainted', 'removed')),
    ADD COLUMN parent_id    integer REFERENCES certificate_authorities (id),
    -- For a root: its certificate issued by the previous root (a cross-certificate), so clients
    -- anchored only on the previous root can still build a path.
    ADD COLUMN cross_der    bytea,
    ADD COLUMN activated_at timestamptz,
    ADD COLUMN tainted_at   timestamptz,
    ADD COLUMN removed_at   timestamptz;

UPDATE certificate_authorities SET state = 'active', activated_at = created_at WHERE active;
UPDATE certificate_authorities i SET parent_id = (SELECT r.id FROM certificate_authorities r WHERE r.kind = 'root' AND r.active)
    WHERE i.kind = 'intermediate' AND i.active;

-- The active flag and the state must agree; the existing unique index keeps one active per kind.
ALTER TABLE certificate_authorities
    ADD CONSTRAINT certificate_authorities_active_state CHECK (active = (state = 'active'));

CREATE TABLE ca_rotation (
    id               integer     PRIMARY KEY CHECK (id = 1),
    generation       bigint      NOT NULL DEFAULT 0,
    taint_generation bigint      NOT NULL DEFAULT 0,
    lease_holder     text,
    lease_expires    timestamptz
);
INSERT INTO ca_rotation (id) VALUES (1);

-- "Has this CA still unexpired certificates?" (retiring a CA, revoke-intermediate, per-CA CRLs).
CREATE INDEX certificates_issuer_not_after ON certificates (issuer_id, not_after);
