package models

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The queries of the expiry notifier (package notify): paging through due
// secrets, finding their recipients, deciding notices through the ledger,
// and completing deliveries.

// Recipient is a person told about a subject: an enabled domain owner or
// the application's owner.
type Recipient struct {
	ID, Email, Name string
}

// DueCursor is where the next page of DueSecrets starts: after this expiry
// and id.
type DueCursor struct {
	ExpiresAt time.Time
	ID        string
}

// DueSecrets returns up to limit secrets, as subjects of kind
// KindClientSecret, that expire at or before horizon,
// ordered by (expiresAt, id) and starting after the cursor (nil: from the
// start). Secrets whose current expiry already has an "expired" decision in
// the ledger are left out: they have nothing left to announce, and they would
// otherwise make every run slower as expired secrets pile up.
//
// The query walks the (expires_at, id) index, so a page costs the same
// however many secrets there are.
func (s *Store) DueSecrets(ctx context.Context, horizon time.Time, after *DueCursor, limit int) ([]Subject, error) {
	// Scanned by hand: GORM's reflection cost more than the query itself
	// on a page of a thousand rows.
	rows, err := dueQuery(s.db.WithContext(ctx), horizon, after, limit).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanSubjects(rows, limit)
}

// scanSubjects reads the rows of credentialColumns.
func scanSubjects(rows *sql.Rows, capacity int) ([]Subject, error) {
	out := make([]Subject, 0, capacity)
	for rows.Next() {
		var d Subject
		var ownerID, ownerEmail, ownerName sql.NullString
		var ownerDisabled sql.NullBool
		var exp sql.NullTime
		if err := rows.Scan(&d.ID, &d.Name, &exp, &d.ApplicationID, &d.ApplicationName, &d.ClientID,
			&d.DomainID, &d.DomainName, &d.DomainHRID, &ownerID, &ownerEmail, &ownerName, &ownerDisabled); err != nil {
			return nil, err
		}
		d.ExpiresAt = exp.Time.UTC() // zero: it never expires
		if ownerID.Valid && ownerEmail.Valid && !ownerDisabled.Bool {
			d.Owner = &Recipient{ID: ownerID.String, Email: ownerEmail.String, Name: ownerName.String}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// credentialColumns selects an application's credential (a client secret
// or a client certificate: the table has id, description, expires_at and
// application_id) as a Subject, from the credential s, its application a,
// its domain d and the application's owner u.
func credentialColumns(db *gorm.DB, table string) *gorm.DB {
	return db.Table(table + " AS s").
		Select(`s.id AS secret_id, s.description, s.expires_at,
			a.id AS application_id, a.name AS application_name, a.client_id,
			d.id AS domain_id, d.name AS domain_name, d.hrid AS domain_hrid,
			u.id AS owner_id, u.email AS owner_email, u.name AS owner_name, u.disabled AS owner_disabled`).
		Joins("JOIN applications a ON a.id = s.application_id").
		Joins("JOIN domains d ON d.id = a.domain_id").
		Joins("LEFT JOIN users u ON u.id = a.owner_id")
}

// secretSubjects returns the secrets of the given ids as subjects, by id.
func (s *Store) secretSubjects(ctx context.Context, ids []string) (map[string]Subject, error) {
	return s.credentialSubjects(ctx, "client_secrets", ids)
}

// credentialSubjects returns the credentials of the given ids, in table, as
// subjects, by id.
func (s *Store) credentialSubjects(ctx context.Context, table string, ids []string) (map[string]Subject, error) {
	out := make(map[string]Subject, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := credentialColumns(s.db.WithContext(ctx), table).Where("s.id IN ?", ids[:n]).Rows()
		if err != nil {
			return nil, err
		}
		subs, err := scanSubjects(rows, n)
		rows.Close()
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			out[sub.ID] = sub
		}
		ids = ids[n:]
	}
	return out, nil
}

func dueQuery(db *gorm.DB, horizon time.Time, after *DueCursor, limit int) *gorm.DB {
	return dueCredentialsQuery(db, KindClientSecret, NoticeExpired, horizon, after, limit)
}

// dueCredentialsQuery pages through the credentials of kind k (a table
// credentialColumns reads) that expire at or before horizon, leaving out
// those whose current expiry has its expired event decided.
func dueCredentialsQuery(db *gorm.DB, k LedgerKind, expired string, horizon time.Time, after *DueCursor, limit int) *gorm.DB {
	q := credentialColumns(db, k.Table).Where("s.expires_at IS NOT NULL AND s.expires_at <= ?", horizon.UTC())
	if after != nil {
		// A row value: both databases start the index walk there. (With
		// "expires_at > ? OR (expires_at = ? AND id > ?)" SQLite walked
		// from the first due secret on every page.)
		q = q.Where("(s.expires_at, s.id) > (?, ?)", after.ExpiresAt.UTC(), after.ID)
	}
	q = q.Where(`NOT EXISTS (SELECT 1 FROM notification_ledgers l
		WHERE l.`+k.Column+` = s.id AND l.expires_at = s.expires_at AND l.event = ? AND l.`+k.Column+` IS NOT NULL)`, expired)
	return q.Order("s.expires_at, s.id").Limit(limit)
}

// DomainOwners returns the enabled owners of each domain, by name.
func (s *Store) DomainOwners(ctx context.Context, domainIDs []string) (map[string][]Recipient, error) {
	out := map[string][]Recipient{}
	ids := uniq(domainIDs)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var rows []struct {
			DomainID string
			Recipient
		}
		err := s.db.WithContext(ctx).Table("domain_owners AS o").
			Select("o.domain_id, u.id, u.email, u.name").
			Joins("JOIN users u ON u.id = o.user_id").
			Where("o.domain_id IN ? AND u.disabled = ?", ids[:n], false).
			Order("lower(u.name), u.email").Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.DomainID] = append(out[r.DomainID], r.Recipient)
		}
		ids = ids[n:]
	}
	return out, nil
}

// claimed locks and returns those of ids that are still pending under claim.
// SQLite transactions hold the write lock from their start (see openSQLite);
// PostgreSQL needs FOR UPDATE.
func claimed(tx *gorm.DB, claim string, ids []uint64) ([]uint64, error) {
	q := tx.Model(&NotificationLedger{})
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var still []uint64
	err := q.Where("id IN ? AND claim = ? AND status = ?", ids, claim, LedgerPending).Pluck("id", &still).Error
	return still, err
}

// DeliverNotifications stores the console notices of ledger rows and marks
// the rows sent in one transaction, so a console notice is delivered
// exactly once. Rows no longer claimed by claim are skipped. It returns the
// ledger ids delivered.
func (s *Store) DeliverNotifications(ctx context.Context, claim string, ledgerIDs []uint64) ([]uint64, error) {
	now := s.now()
	var delivered []uint64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for start := 0; start < len(ledgerIDs); start += 500 {
			still, err := claimed(tx, claim, ledgerIDs[start:min(start+500, len(ledgerIDs))])
			if err != nil || len(still) == 0 {
				return err
			}
			if err := InsertNotices(tx, now, "l.id IN ?", still); err != nil {
				return err
			}
			if err := tx.Model(&NotificationLedger{}).Where("id IN ?", still).
				Updates(map[string]any{"status": LedgerSent, "sent_at": now}).Error; err != nil {
				return err
			}
			delivered = append(delivered, still...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return delivered, nil
}

// InsertNotices stores the console notices of the ledger rows that match
// where: one per console row whose user still exists (a user deleted since
// the row was decided gets nothing). A row that has its notice already
// (one moved there by the upgrade from the first schema) keeps it.
// It is for models/ledger, which calls it in its deciding transactions.
func InsertNotices(tx *gorm.DB, at time.Time, where string, args ...any) error {
	return tx.Exec(`INSERT INTO notifications (ledger_id, user_id, created_at)
		SELECT l.id, l.recipient, ? FROM notification_ledgers AS l
		WHERE l.channel = ? AND `+where+` AND EXISTS (SELECT 1 FROM users AS u WHERE u.id = l.recipient)
		ON CONFLICT DO NOTHING`,
		append([]any{at, ChannelUI}, args...)...).Error
}

// LedgerRows returns every ledger row of a secret, oldest first; for tests
// and the command line.
func (s *Store) LedgerRows(ctx context.Context, secretID string) ([]NotificationLedger, error) {
	var out []NotificationLedger
	err := s.db.WithContext(ctx).Where("(expires_at, secret_id) IN (SELECT expires_at, id FROM client_secrets WHERE id = ?) AND secret_id IS NOT NULL", secretID).
		Order("id").Find(&out).Error
	return out, err
}

// SetSecretExpiry sets a secret's expiry directly, bypassing the policies;
// tests and fixtures use it to place secrets in time.
func (s *Store) SetSecretExpiry(ctx context.Context, secretID string, expiresAt *time.Time) error {
	var v any
	if expiresAt != nil {
		v = expiresAt.UTC()
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := resetNotices(tx, secretID); err != nil {
			return err
		}
		return tx.Model(&ClientSecret{}).Where("id = ?", secretID).Update("expires_at", v).Error
	})
}

// resetNotices forgets the notices decided for a secret's current expiry,
// before the expiry changes (the ledger's foreign key allows no rows for
// an expiry the secret no longer has). Pending deliveries go with them.
// The secret's own stored expiry is matched, not a time read back and
// bound again, so that the rows are found whatever the time's text form.
//
// On PostgreSQL the secret's row is locked first: a notifier transaction
// that has just inserted rows for it holds a key-share lock on it, so the
// lock waits for that decision to commit and the DELETE then sees its rows
// (without the lock they would be invisible to it, and the expiry's UPDATE
// would fail on them). SQLite lets one writer in at a time.
func resetNotices(tx *gorm.DB, secretID string) error { return ResetSecretNotices(tx, secretID) }

// ResetSecretNotices is what renewing a secret does first, in the renewal's
// transaction tx (see resetNotices); exported for models/ledger's tests of
// a renewal racing a decision.
func ResetSecretNotices(tx *gorm.DB, secretID string) error {
	if tx.Dialector.Name() == "postgres" {
		var id string
		err := tx.Raw("SELECT id FROM client_secrets WHERE id = ? FOR UPDATE", secretID).Row().Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return tx.Exec(`DELETE FROM notification_ledgers WHERE (expires_at, secret_id) IN
		(SELECT expires_at, id FROM client_secrets WHERE id = ? AND expires_at IS NOT NULL) AND secret_id IS NOT NULL`, secretID).Error
}
