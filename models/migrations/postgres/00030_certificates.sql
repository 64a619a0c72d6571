-- Certificates sign a domain's tokens (issue 14): system ones Latchkey
-- generates and own ones uploaded. The private key is sealed under the
-- key-encryption key, which is not in the database. 00031 turns each
-- signing key into its domain's first system certificate.

-- +goose Up
CREATE TABLE IF NOT EXISTS certificates (
    id            varchar(36) PRIMARY KEY,
    domain_id     varchar(36) NOT NULL,
    name          varchar(64) NOT NULL,
    type          varchar(16) NOT NULL,
    algorithm     varchar(16) NOT NULL,
    chain         text NOT NULL,
    private_key   text NOT NULL,
    not_before    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    signing_from  timestamptz NOT NULL,
    superseded_at timestamptz,
    retired_at    timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT fk_certificates_domain FOREIGN KEY (domain_id) REFERENCES domains (id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS idx_certificates_domain ON certificates (domain_id, signing_from);
-- One current (not superseded) system certificate per domain: two nodes
-- rotating at once cannot both succeed.
CREATE UNIQUE INDEX IF NOT EXISTS idx_certificates_current_system ON certificates (domain_id) WHERE type = 'system' AND superseded_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_certificates_rotation ON certificates (expires_at) WHERE type = 'system' AND superseded_at IS NULL;
-- domains.fallback_certificate_id and applications.certificate_id are
-- added by 00031 (SQLite cannot add a column only if it is missing).

-- +goose Down
ALTER TABLE applications DROP COLUMN certificate_id;
ALTER TABLE domains DROP COLUMN fallback_certificate_id;
DROP TABLE certificates;
