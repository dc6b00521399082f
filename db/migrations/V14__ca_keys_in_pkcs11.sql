-- A CA key generated inside a PKCS#11 token (an HSM) is not in the database: the row names it
-- by its label in the token instead ('pkcs11:<label>'). At most one of encrypted_key / key_ref.
ALTER TABLE certificate_authorities ADD COLUMN key_ref text;
ALTER TABLE certificate_authorities ADD CONSTRAINT certificate_authorities_one_key_source
    CHECK (encrypted_key IS NULL OR key_ref IS NULL);
