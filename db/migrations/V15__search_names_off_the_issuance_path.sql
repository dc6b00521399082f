-- Substring search without a trigram index on every certificate.
--
-- V1 kept a trigram GIN index on certificates.search_text (serial + subject + SANs). Every issuance
-- added ~60 trigrams to it, and the GIN pending-list clean-up ran inside the issuing transaction:
-- at fleet scale it stalled group commits for up to half a second. Short-lived certificates repeat
-- the same few names thousands of times, so the names get their own table, indexed once per
-- distinct name; a certificate points at its name by the name's SHA-256, under a plain B-tree
-- (deduplicated, since renewals repeat it). Serials are matched by prefix on their unique index.

CREATE TABLE certificate_names (
    name_hash bytea PRIMARY KEY,  -- SHA-256 of name (UTF-8)
    name      text  NOT NULL      -- lower-cased subject and SANs, space-separated
);
CREATE INDEX certificate_names_search ON certificate_names USING gin (name gin_trgm_ops);

ALTER TABLE certificates ADD COLUMN name_hash bytea;

-- search_text is serial + ' ' + subject + ' ' + SANs, lower-cased: the name is what follows the serial.
UPDATE certificates SET name_hash = sha256(convert_to(substr(search_text, length(serial) + 2), 'UTF8'));
INSERT INTO certificate_names (name_hash, name)
    SELECT DISTINCT ON (name_hash) name_hash, substr(search_text, length(serial) + 2) FROM certificates
    ORDER BY name_hash;

ALTER TABLE certificates ALTER COLUMN name_hash SET NOT NULL;
CREATE INDEX certificates_name ON certificates (name_hash);
DROP INDEX certificates_search;
ALTER TABLE certificates DROP COLUMN search_text;
