-- A domain page at scale (issue 19): the counts of expired and expiring
-- secrets of a domain of 10,000 applications read, for each application,
-- this index's entries up to the end of the window, never a secret's row.

-- +goose Up
CREATE INDEX IF NOT EXISTS idx_secret_app_expiry ON client_secrets (application_id, expires_at);

-- +goose Down
DROP INDEX IF EXISTS idx_secret_app_expiry;
