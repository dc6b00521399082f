-- Public keys reported compromised: a revocation with reason keyCompromise records the SHA-256 of
-- the certificate's SubjectPublicKeyInfo (DER) here, in the revocation's transaction, and no
-- certificate is issued for that key again (CA/Browser Forum BR §6.1.1.3(4)). Rows are never
-- deleted. Each replica keeps the set in memory and reads rows with id > the last it saw.
CREATE TABLE blocked_keys (
    id            bigserial   PRIMARY KEY,
    spki_sha256   bytea       NOT NULL UNIQUE CHECK (length(spki_sha256) = 32),
    source_serial text        NOT NULL,
    blocked_at    timestamptz NOT NULL
);
