-- Admin UI sessions: a browser logs in with an API token once and then holds an opaque session
-- cookie. Only the SHA-256 of the session id is stored; csrf_token must accompany every
-- state-changing request made with the cookie. Sessions expire after an idle period.
CREATE TABLE ui_sessions (
    id_hash    bytea       PRIMARY KEY,
    token_name text        NOT NULL,
    role       text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    csrf_token text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX ui_sessions_expires_at ON ui_sessions (expires_at);

-- Issuances per minute, per profile and door: what the overview chart shows. Each replica adds
-- its own counts every few seconds (a statistic, not a record: the certificates table is the record).
CREATE TABLE issuance_minutes (
    minute  timestamptz NOT NULL,
    profile text        NOT NULL,
    channel text        NOT NULL,
    issued  bigint      NOT NULL,
    PRIMARY KEY (minute, profile, channel)
);
