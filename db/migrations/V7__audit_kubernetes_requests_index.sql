-- The admin UI lists what the CertificateRequest controller did (issued, failed, denied) from
-- the audit log, where every such entry's actor is "k8s:<requesting user>". This partial index
-- keeps that listing proportional to those entries, not to the whole log.
CREATE INDEX audit_log_kubernetes_requests ON audit_log (seq) WHERE actor LIKE 'k8s:%';
