package models

import (
	"gorm.io/gorm"
)

// Upgrades of the notifier's tables from earlier schemas, which AutoMigrate
// cannot make: it adds columns and indexes, but does not change keys or
// move data.

// migrateNotifications runs after AutoMigrate: the first schema's index
// for the scan, now the unique index idx_client_secrets_expiry, goes, and
// console notices of the first schema move to the current one.
func migrateNotifications(db *gorm.DB) error {
	if err := db.Exec("DROP INDEX IF EXISTS idx_client_secrets_expires_at").Error; err != nil {
		return err
	}
	return moveOldNotifications(db)
}

// upgradeLedgerKey runs before AutoMigrate. The first schema's ledger key
// and foreign key led with the secret's id, which scattered a run's inserts
// all over the index; AutoMigrate cannot change an index's columns or a
// foreign key, so the old ones are dropped here and AutoMigrate creates
// the current ones. A ledger whose key is missing (an upgrade stopped half
// way) is treated the same. Rows for an expiry their secret no longer has
// (it was renewed) are deleted first: the new foreign key does not allow
// them, and renewing deletes them from now on anyway. They are history
// (most were sent) and can never be sent again.
func upgradeLedgerKey(db *gorm.DB) error {
	// A session of its own: on PostgreSQL db is a pinned connection whose
	// statement would otherwise carry each query's clauses into the next.
	db = db.Session(&gorm.Session{})
	m := db.Migrator()
	if !m.HasTable(&NotificationLedger{}) {
		return nil
	}
	hasKey := m.HasIndex(&NotificationLedger{}, "idx_ledger_key")
	if hasKey {
		first, err := firstIndexColumn(db, "idx_ledger_key")
		if err != nil || first == "expires_at" {
			return err
		}
	}
	err := db.Exec(`DELETE FROM notification_ledgers WHERE NOT EXISTS (SELECT 1 FROM client_secrets s
		WHERE s.id = notification_ledgers.secret_id AND s.expires_at = notification_ledgers.expires_at)`).Error
	if err != nil {
		return err
	}
	if hasKey {
		if err := m.DropIndex(&NotificationLedger{}, "idx_ledger_key"); err != nil {
			return err
		}
	}
	if m.HasConstraint(&NotificationLedger{}, ledgerSecretFK) {
		return m.DropConstraint(&NotificationLedger{}, ledgerSecretFK)
	}
	return nil
}

// ledgerSecretFK is the name GORM gives the ledger's foreign key.
const ledgerSecretFK = "fk_notification_ledgers_secret"

// firstIndexColumn returns the first column of an index of the current
// schema.
func firstIndexColumn(db *gorm.DB, index string) (string, error) {
	var col string
	var err error
	if db.Dialector.Name() == "postgres" {
		err = db.Raw(`SELECT a.attname FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE c.relname = ? AND pg_table_is_visible(c.oid)`, index).Row().Scan(&col)
	} else {
		err = db.Raw("SELECT name FROM pragma_index_info(?) WHERE seqno = 0", index).Row().Scan(&col)
	}
	return col, err
}

// oldNotifications is the name the first schema's console notices table
// takes while its rows move (see upgradeNotifications).
const oldNotifications = "notifications_v1"

// upgradeNotifications runs before AutoMigrate. The first schema stored
// each console notice with its words (title, message, link) under a
// random id; now a notice is its ledger row's id, its user and its read
// state, and its words are made up when it is shown. The old table is
// renamed out of the way here (with its indexes, whose names the new
// table's would clash with on PostgreSQL), AutoMigrate creates the new
// one, and moveOldNotifications moves the rows across.
func upgradeNotifications(db *gorm.DB) error {
	db = db.Session(&gorm.Session{})
	m := db.Migrator()
	if !m.HasTable("notifications") || !m.HasColumn("notifications", "title") {
		return nil
	}
	if err := m.DropIndex("notifications", "idx_notification_user"); err != nil {
		return err
	}
	if err := m.RenameTable("notifications", oldNotifications); err != nil {
		return err
	}
	if db.Dialector.Name() == "postgres" {
		return db.Exec("ALTER INDEX notifications_pkey RENAME TO " + oldNotifications + "_pkey").Error
	}
	return nil
}

// moveOldNotifications gives the notices of the first schema to their
// ledger rows, keeping whether they were read, and drops the old table.
//
// A notice decided with its row was written with the same time, which
// pairs the two exactly. The other notices (delivered after their row was
// decided) go to the delivered console rows of the same secret, expiry,
// event and user that have no notice yet; a row that several of them could
// be (they differ by threshold only) counts as read only if all of them
// were. Pending rows get their notice when they are delivered. Notices
// whose row is gone (their secret was renewed or deleted) go too: there is
// nothing left to do about them.
func moveOldNotifications(db *gorm.DB) error {
	db = db.Session(&gorm.Session{})
	if !db.Migrator().HasTable(oldNotifications) {
		return nil
	}
	const sameKey = `l.secret_id = o.secret_id AND l.expires_at = o.expires_at AND l.event = o.event
		AND l.recipient = o.user_id AND l.channel = ? AND l.status = ?`
	err := db.Exec(`INSERT INTO notifications (ledger_id, user_id, created_at, read_at)
		SELECT l.id, o.user_id, o.created_at, o.read_at FROM `+oldNotifications+` AS o
		JOIN notification_ledgers AS l ON `+sameKey+` AND l.created_at = o.created_at
		WHERE true
		ON CONFLICT DO NOTHING`, ChannelUI, LedgerSent).Error
	if err != nil {
		return err
	}
	err = db.Exec(`INSERT INTO notifications (ledger_id, user_id, created_at, read_at)
		SELECT l.id, l.recipient, MIN(o.created_at), CASE WHEN COUNT(o.read_at) = COUNT(*) THEN MAX(o.read_at) END
		FROM `+oldNotifications+` AS o
		JOIN notification_ledgers AS l ON `+sameKey+`
		WHERE NOT EXISTS (SELECT 1 FROM notifications AS n WHERE n.ledger_id = l.id)
			AND NOT EXISTS (SELECT 1 FROM notification_ledgers AS p WHERE p.secret_id = o.secret_id
				AND p.expires_at = o.expires_at AND p.event = o.event AND p.recipient = o.user_id
				AND p.channel = ? AND p.status = ? AND p.created_at = o.created_at)
		GROUP BY l.id, l.recipient
		ON CONFLICT DO NOTHING`, ChannelUI, LedgerSent, ChannelUI, LedgerSent).Error
	if err != nil {
		return err
	}
	return db.Migrator().DropTable(oldNotifications)
}
