-- Single-use join tokens for agents outside Kubernetes (POST /api/v1/join-tokens).
-- Only the SHA-256 of a token is stored; used_at is set once, atomically, by the attestation
-- that consumes it.
CREATE TABLE join_tokens (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea       NOT NULL UNIQUE,
    node       text        NOT NULL,
    expires_at timestamptz NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);

CREATE INDEX join_tokens_expires_at ON join_tokens (expires_at);
