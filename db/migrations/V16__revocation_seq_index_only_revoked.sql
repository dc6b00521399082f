-- V1 made certificates.revocation_seq UNIQUE, and the constraint's index held an entry for every
-- certificate, NULL included: one B-tree insertion in every issuance's commit for a column only a
-- revocation sets. A partial unique index gives the same guarantee (no two revocations share a
-- sequence number) and is touched only by revocations.
CREATE UNIQUE INDEX certificates_revocation_seq ON certificates (revocation_seq) WHERE revocation_seq IS NOT NULL;
ALTER TABLE certificates DROP CONSTRAINT certificates_revocation_seq_key;
