-- The notice ledger names the kind of subject of each row: client secrets
-- now, certificates next. Each kind has a column of its own for its
-- subjects' ids (secret_id for client secrets, NULL in other kinds' rows)
-- with its foreign key and a unique key over its rows (a partial index):
-- a composite foreign key with a NULL column is not checked, so each row is
-- checked against its own subject's table only. Existing rows are client
-- secrets'.
--
-- SQLite changes a column's NOT NULL only by rebuilding the table. Dropping
-- the old ledger deletes its console notices (ON DELETE CASCADE, even with
-- the foreign keys' checks deferred), so they are kept aside meanwhile and
-- put back with their read state; ids do not change.

-- +goose Up
CREATE TEMP TABLE notifications_kept AS SELECT ledger_id, user_id, created_at, read_at FROM notifications;
CREATE TABLE notification_ledgers_new (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL DEFAULT "client_secret",`expires_at` datetime NOT NULL,`secret_id` text DEFAULT null,`event` text NOT NULL,`threshold` integer NOT NULL,`recipient` text NOT NULL,`channel` text NOT NULL,`status` text NOT NULL,`claim` text NOT NULL,`lease_until` datetime NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`last_error` text NOT NULL DEFAULT "",`created_at` datetime NOT NULL,`sent_at` datetime,CONSTRAINT `fk_notification_ledgers_secret` FOREIGN KEY (`expires_at`,`secret_id`) REFERENCES `client_secrets`(`expires_at`,`id`) ON DELETE CASCADE);
INSERT INTO notification_ledgers_new (id, kind, expires_at, secret_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at)
    SELECT id, 'client_secret', expires_at, secret_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at
    FROM notification_ledgers;
DROP TABLE notification_ledgers;
ALTER TABLE notification_ledgers_new RENAME TO notification_ledgers;
CREATE INDEX `idx_ledger_lease` ON `notification_ledgers`(`lease_until`) WHERE status = 'pending';
CREATE INDEX `idx_ledger_claim` ON `notification_ledgers`(`claim`,`channel`) WHERE status = 'pending';
CREATE UNIQUE INDEX `idx_ledger_key` ON `notification_ledgers`(`expires_at`,`secret_id`,`event`,`threshold`,`recipient`,`channel`) WHERE secret_id IS NOT NULL;
INSERT INTO notifications (ledger_id, user_id, created_at, read_at) SELECT ledger_id, user_id, created_at, read_at FROM notifications_kept;
DROP TABLE notifications_kept;

-- +goose Down
-- Rows of other kinds than client secrets cannot be kept.
DELETE FROM notification_ledgers WHERE secret_id IS NULL;
CREATE TEMP TABLE notifications_kept AS SELECT ledger_id, user_id, created_at, read_at FROM notifications;
CREATE TABLE notification_ledgers_old (`id` integer PRIMARY KEY AUTOINCREMENT,`expires_at` datetime NOT NULL,`secret_id` text NOT NULL,`event` text NOT NULL,`threshold` integer NOT NULL,`recipient` text NOT NULL,`channel` text NOT NULL,`status` text NOT NULL,`claim` text NOT NULL,`lease_until` datetime NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`last_error` text NOT NULL DEFAULT "",`created_at` datetime NOT NULL,`sent_at` datetime,CONSTRAINT `fk_notification_ledgers_secret` FOREIGN KEY (`expires_at`,`secret_id`) REFERENCES `client_secrets`(`expires_at`,`id`) ON DELETE CASCADE);
INSERT INTO notification_ledgers_old (id, expires_at, secret_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at)
    SELECT id, expires_at, secret_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at
    FROM notification_ledgers;
DROP TABLE notification_ledgers;
ALTER TABLE notification_ledgers_old RENAME TO notification_ledgers;
CREATE INDEX `idx_ledger_lease` ON `notification_ledgers`(`lease_until`) WHERE status = 'pending';
CREATE INDEX `idx_ledger_claim` ON `notification_ledgers`(`claim`,`channel`) WHERE status = 'pending';
CREATE UNIQUE INDEX `idx_ledger_key` ON `notification_ledgers`(`expires_at`,`secret_id`,`event`,`threshold`,`recipient`,`channel`);
INSERT INTO notifications (ledger_id, user_id, created_at, read_at) SELECT ledger_id, user_id, created_at, read_at FROM notifications_kept;
DROP TABLE notifications_kept;
