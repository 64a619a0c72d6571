-- Client certificates are the notice ledger's third kind of subject
-- (issue 16), as certificates became the second in 00032: rows of kind
-- "client_certificate" hold the client certificate's id in
-- client_certificate_id (NULL in the other kinds' rows), checked by a
-- foreign key on (expires_at, client_certificate_id) — a client
-- certificate's expiry never changes, and deleting it takes its rows and
-- their console notices with it — and kept unique by a partial index.
--
-- SQLite adds a foreign key only by rebuilding the table; as in 00032 the
-- console notices are kept aside meanwhile and put back with their read
-- state.

-- +goose Up
CREATE TEMP TABLE notifications_kept AS SELECT ledger_id, user_id, created_at, read_at FROM notifications;
CREATE TABLE notification_ledgers_new (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL DEFAULT "client_secret",`expires_at` datetime NOT NULL,`secret_id` text DEFAULT null,`certificate_id` text DEFAULT null,`client_certificate_id` text DEFAULT null,`event` text NOT NULL,`threshold` integer NOT NULL,`recipient` text NOT NULL,`channel` text NOT NULL,`status` text NOT NULL,`claim` text NOT NULL,`lease_until` datetime NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`last_error` text NOT NULL DEFAULT "",`created_at` datetime NOT NULL,`sent_at` datetime,CONSTRAINT `fk_notification_ledgers_secret` FOREIGN KEY (`expires_at`,`secret_id`) REFERENCES `client_secrets`(`expires_at`,`id`) ON DELETE CASCADE,CONSTRAINT `fk_notification_ledgers_certificate` FOREIGN KEY (`expires_at`,`certificate_id`) REFERENCES `certificates`(`expires_at`,`id`) ON DELETE CASCADE,CONSTRAINT `fk_notification_ledgers_client_certificate` FOREIGN KEY (`expires_at`,`client_certificate_id`) REFERENCES `client_certificates`(`expires_at`,`id`) ON DELETE CASCADE);
INSERT INTO notification_ledgers_new (id, kind, expires_at, secret_id, certificate_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at)
    SELECT id, kind, expires_at, secret_id, certificate_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at
    FROM notification_ledgers;
DROP TABLE notification_ledgers;
ALTER TABLE notification_ledgers_new RENAME TO notification_ledgers;
CREATE INDEX `idx_ledger_lease` ON `notification_ledgers`(`lease_until`) WHERE status = 'pending';
CREATE INDEX `idx_ledger_claim` ON `notification_ledgers`(`claim`,`channel`) WHERE status = 'pending';
CREATE UNIQUE INDEX `idx_ledger_key` ON `notification_ledgers`(`expires_at`,`secret_id`,`event`,`threshold`,`recipient`,`channel`) WHERE secret_id IS NOT NULL;
CREATE UNIQUE INDEX `idx_ledger_certificate_key` ON `notification_ledgers`(`expires_at`,`certificate_id`,`event`,`threshold`,`recipient`,`channel`) WHERE certificate_id IS NOT NULL;
CREATE UNIQUE INDEX `idx_ledger_client_certificate_key` ON `notification_ledgers`(`expires_at`,`client_certificate_id`,`event`,`threshold`,`recipient`,`channel`) WHERE client_certificate_id IS NOT NULL;
INSERT INTO notifications (ledger_id, user_id, created_at, read_at) SELECT ledger_id, user_id, created_at, read_at FROM notifications_kept;
DROP TABLE notifications_kept;

-- +goose Down
DELETE FROM notification_ledgers WHERE client_certificate_id IS NOT NULL;
CREATE TEMP TABLE notifications_kept AS SELECT ledger_id, user_id, created_at, read_at FROM notifications;
CREATE TABLE notification_ledgers_old (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL DEFAULT "client_secret",`expires_at` datetime NOT NULL,`secret_id` text DEFAULT null,`certificate_id` text DEFAULT null,`event` text NOT NULL,`threshold` integer NOT NULL,`recipient` text NOT NULL,`channel` text NOT NULL,`status` text NOT NULL,`claim` text NOT NULL,`lease_until` datetime NOT NULL,`attempts` integer NOT NULL DEFAULT 0,`last_error` text NOT NULL DEFAULT "",`created_at` datetime NOT NULL,`sent_at` datetime,CONSTRAINT `fk_notification_ledgers_secret` FOREIGN KEY (`expires_at`,`secret_id`) REFERENCES `client_secrets`(`expires_at`,`id`) ON DELETE CASCADE,CONSTRAINT `fk_notification_ledgers_certificate` FOREIGN KEY (`expires_at`,`certificate_id`) REFERENCES `certificates`(`expires_at`,`id`) ON DELETE CASCADE);
INSERT INTO notification_ledgers_old (id, kind, expires_at, secret_id, certificate_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at)
    SELECT id, kind, expires_at, secret_id, certificate_id, event, threshold, recipient, channel, status, claim,
        lease_until, attempts, last_error, created_at, sent_at
    FROM notification_ledgers;
DROP TABLE notification_ledgers;
ALTER TABLE notification_ledgers_old RENAME TO notification_ledgers;
CREATE INDEX `idx_ledger_lease` ON `notification_ledgers`(`lease_until`) WHERE status = 'pending';
CREATE INDEX `idx_ledger_claim` ON `notification_ledgers`(`claim`,`channel`) WHERE status = 'pending';
CREATE UNIQUE INDEX `idx_ledger_key` ON `notification_ledgers`(`expires_at`,`secret_id`,`event`,`threshold`,`recipient`,`channel`) WHERE secret_id IS NOT NULL;
CREATE UNIQUE INDEX `idx_ledger_certificate_key` ON `notification_ledgers`(`expires_at`,`certificate_id`,`event`,`threshold`,`recipient`,`channel`) WHERE certificate_id IS NOT NULL;
INSERT INTO notifications (ledger_id, user_id, created_at, read_at) SELECT ledger_id, user_id, created_at, read_at FROM notifications_kept;
DROP TABLE notifications_kept;
