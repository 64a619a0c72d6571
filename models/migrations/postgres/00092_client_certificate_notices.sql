-- Client certificates are the notice ledger's third kind of subject
-- (issue 16), as certificates became the second in 00032: rows of kind
-- "client_certificate" hold the client certificate's id in
-- client_certificate_id (NULL in the other kinds' rows), checked by a
-- foreign key on (expires_at, client_certificate_id) — a client
-- certificate's expiry never changes, and deleting it takes its rows and
-- their console notices with it — and kept unique by a partial index.

-- +goose Up
ALTER TABLE notification_ledgers ADD COLUMN IF NOT EXISTS client_certificate_id varchar(36) DEFAULT NULL;
ALTER TABLE notification_ledgers DROP CONSTRAINT IF EXISTS fk_notification_ledgers_client_certificate;
ALTER TABLE notification_ledgers ADD CONSTRAINT fk_notification_ledgers_client_certificate
    FOREIGN KEY (expires_at, client_certificate_id) REFERENCES client_certificates (expires_at, id) ON DELETE CASCADE;
CREATE UNIQUE INDEX IF NOT EXISTS idx_ledger_client_certificate_key ON notification_ledgers (expires_at, client_certificate_id, event, threshold, recipient, channel)
    WHERE client_certificate_id IS NOT NULL;

-- +goose Down
DELETE FROM notification_ledgers WHERE client_certificate_id IS NOT NULL;
DROP INDEX idx_ledger_client_certificate_key;
ALTER TABLE notification_ledgers DROP CONSTRAINT fk_notification_ledgers_client_certificate;
ALTER TABLE notification_ledgers DROP COLUMN client_certificate_id;
