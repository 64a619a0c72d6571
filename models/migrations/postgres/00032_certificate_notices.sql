-- Certificates are the notice ledger's second kind of subject (issue 14):
-- rows of kind "certificate" hold the certificate's id in certificate_id
-- (NULL in the other kinds' rows), checked by a foreign key on
-- (expires_at, certificate_id) — a certificate's expiry never changes, and
-- deleting it takes its rows and their console notices with it — and kept
-- unique by a partial index, as secret_id is (see 00010).

-- +goose Up
CREATE UNIQUE INDEX IF NOT EXISTS idx_certificates_expiry ON certificates (expires_at, id);
ALTER TABLE notification_ledgers ADD COLUMN IF NOT EXISTS certificate_id varchar(36) DEFAULT NULL;
ALTER TABLE notification_ledgers DROP CONSTRAINT IF EXISTS fk_notification_ledgers_certificate;
ALTER TABLE notification_ledgers ADD CONSTRAINT fk_notification_ledgers_certificate
    FOREIGN KEY (expires_at, certificate_id) REFERENCES certificates (expires_at, id) ON DELETE CASCADE;
CREATE UNIQUE INDEX IF NOT EXISTS idx_ledger_certificate_key ON notification_ledgers (expires_at, certificate_id, event, threshold, recipient, channel)
    WHERE certificate_id IS NOT NULL;

-- +goose Down
DELETE FROM notification_ledgers WHERE certificate_id IS NOT NULL;
DROP INDEX idx_ledger_certificate_key;
ALTER TABLE notification_ledgers DROP CONSTRAINT fk_notification_ledgers_certificate;
ALTER TABLE notification_ledgers DROP COLUMN certificate_id;
DROP INDEX idx_certificates_expiry;
