-- ACME server state (RFC 8555, RFC 9773). Everything an ACME request changes lives here, so a
-- restart loses nothing and several replicas on one database serve the same accounts.

-- Server-wide secrets shared by every replica (the nonce HMAC key). Created once, never updated.
CREATE TABLE acme_secrets (
    name       text        PRIMARY KEY,
    value      bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Nonces are stateless (HMAC over issue time and randomness); a nonce is spent by inserting it
-- here, so a second use on any replica finds the row. Rows go once the nonce would have expired.
CREATE TABLE acme_spent_nonces (
    nonce      text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX acme_spent_nonces_expires_at ON acme_spent_nonces (expires_at);

-- External Account Binding keys (RFC 8555 §7.3.4), created by operators; each binds one account.
CREATE TABLE acme_eab_keys (
    key_id     text        PRIMARY KEY,
    hmac_key   bytea       NOT NULL,
    label      text        NOT NULL DEFAULT '',
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    account_id bigint
);

CREATE TABLE acme_accounts (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_thumbprint text        NOT NULL UNIQUE,   -- RFC 7638 SHA-256, base64url
    jwk            text        NOT NULL,          -- public JWK, JSON
    status         text        NOT NULL CHECK (status IN ('valid', 'deactivated', 'revoked')),
    contact        text        NOT NULL DEFAULT '[]', -- JSON array of URLs
    tos_agreed     boolean     NOT NULL DEFAULT false,
    eab_key_id     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE acme_orders (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id         bigint      NOT NULL REFERENCES acme_accounts (id),
    profile            text        NOT NULL,
    status             text        NOT NULL CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),
    identifiers        text        NOT NULL,      -- JSON array of {type, value}
    expires_at         timestamptz NOT NULL,
    error              text,                      -- JSON problem document
    csr                bytea,
    certificate_serial text,
    replaces           text,                      -- ARI certID of the certificate this order replaces
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX acme_orders_account ON acme_orders (account_id, id);
CREATE INDEX acme_orders_certificate ON acme_orders (certificate_serial) WHERE certificate_serial IS NOT NULL;
CREATE INDEX acme_orders_replaces ON acme_orders (replaces) WHERE replaces IS NOT NULL;
CREATE INDEX acme_orders_processing ON acme_orders (updated_at) WHERE status = 'processing';

CREATE TABLE acme_authorizations (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint      NOT NULL REFERENCES acme_orders (id),
    account_id bigint      NOT NULL REFERENCES acme_accounts (id),
    type       text        NOT NULL CHECK (type IN ('dns', 'ip')),
    value      text        NOT NULL,
    wildcard   boolean     NOT NULL DEFAULT false,
    status     text        NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX acme_authorizations_order ON acme_authorizations (order_id);
CREATE INDEX acme_authorizations_pending ON acme_authorizations (account_id) WHERE status = 'pending';

CREATE TABLE acme_challenges (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authz_id        bigint      NOT NULL REFERENCES acme_authorizations (id),
    type            text        NOT NULL CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),
    token           text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
    validated_at    timestamptz,
    error           text,                         -- JSON problem document
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz
);
CREATE INDEX acme_challenges_authz ON acme_challenges (authz_id);
-- The validation queue: challenges a client asked to validate, by due time (claimed with SKIP LOCKED).
CREATE INDEX acme_challenges_due ON acme_challenges (next_attempt_at) WHERE status = 'processing';

-- Per-account new-order counters in fixed one-hour windows (rate limit shared by all replicas).
CREATE TABLE acme_rate_windows (
    account_id   bigint      NOT NULL,
    window_start timestamptz NOT NULL,
    orders       int         NOT NULL,
    PRIMARY KEY (account_id, window_start)
);
