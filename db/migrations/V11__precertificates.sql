-- Crash consistency (issue 10): before the CA key signs, the serial and the to-be-signed
-- certificate are recorded here (as Boulder records its precertificates); the certificates row and
-- its audit entry follow in a later transaction, and the certificate is returned only after that one
-- commits. The primary key on serial means a serial once drawn is never used again, whatever
-- happened to its issuance.
--
-- The recovery job (every few seconds) deletes rows whose certificate is recorded (the certificates
-- row then holds the serial and the signed TBS), so this table keeps only recent issuances and
-- abandoned ones: a row the job finds without a certificate after ROTOR_PRECERT_GRACE gets
-- abandoned_at and a certificate.abandoned audit entry. Its signature, if one was made, never left the process: a
-- certificate is sent only after the final commit.
CREATE TABLE precertificates (
    serial       text        PRIMARY KEY,
    issuer_id    integer     NOT NULL REFERENCES certificate_authorities (id),
    profile      text        NOT NULL,
    channel      text        NOT NULL,
    requester    text        NOT NULL,
    tbs          bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    abandoned_at timestamptz
);
-- No index besides the primary key: every issuance inserts a row here, and the recovery job scans
-- a table that holds only the last few seconds' issuances and the abandoned ones.
