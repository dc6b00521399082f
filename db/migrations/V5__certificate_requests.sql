-- Idempotency for doors whose requests carry their own identity (the CertificateRequest
-- controller uses the request's metadata.uid). The row is written in the same transaction as the
-- certificate it names, so a request is never signed twice: a retry after a crash between
-- "recorded" and "status written" finds this row and reuses the certificate.
-- (V4 is the ACME schema.)
CREATE TABLE certificate_requests (
    request_key text        PRIMARY KEY,
    serial      text        NOT NULL UNIQUE
        REFERENCES certificates (serial) DEFERRABLE INITIALLY DEFERRED,
    created_at  timestamptz NOT NULL DEFAULT now()
);
