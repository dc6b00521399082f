-- The CRL and the agents' revocation feed list revoked certificates that have not expired;
-- this keeps that query proportional to what it returns, not to every revocation ever made.
CREATE INDEX certificates_revoked_not_after ON certificates (not_after) WHERE revoked_at IS NOT NULL;
