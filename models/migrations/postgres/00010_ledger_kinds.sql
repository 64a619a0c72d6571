-- The notice ledger names the kind of subject of each row: client secrets
-- now, certificates next. Each kind has a column of its own for its
-- subjects' ids (secret_id for client secrets, NULL in other kinds' rows)
-- with its foreign key and a unique key over its rows (a partial index):
-- a composite foreign key with a NULL column is not checked (MATCH SIMPLE),
-- so each row is checked against its own subject's table only. Existing
-- rows are client secrets'; console notices keep their rows and read state.

-- +goose Up
-- IF [NOT] EXISTS: a database that lost its migration records (tests
-- simulate one from before numbered migrations) is brought here again.
ALTER TABLE notification_ledgers ADD COLUMN IF NOT EXISTS kind varchar(32) NOT NULL DEFAULT 'client_secret';
ALTER TABLE notification_ledgers ALTER COLUMN secret_id DROP NOT NULL;
ALTER TABLE notification_ledgers ALTER COLUMN secret_id SET DEFAULT NULL;
DROP INDEX IF EXISTS idx_ledger_key;
CREATE UNIQUE INDEX idx_ledger_key ON notification_ledgers (expires_at, secret_id, event, threshold, recipient, channel)
    WHERE secret_id IS NOT NULL;

-- +goose Down
-- Rows of other kinds than client secrets cannot be kept.
DELETE FROM notification_ledgers WHERE secret_id IS NULL;
DROP INDEX idx_ledger_key;
CREATE UNIQUE INDEX idx_ledger_key ON notification_ledgers (expires_at, secret_id, event, threshold, recipient, channel);
ALTER TABLE notification_ledgers ALTER COLUMN secret_id DROP DEFAULT;
ALTER TABLE notification_ledgers ALTER COLUMN secret_id SET NOT NULL;
ALTER TABLE notification_ledgers DROP COLUMN kind;
