package models

import (
	"context"
	"database/sql"
	"encoding/json"
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

// scanSubjects reads the rows of secretColumns.
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

// secretColumns selects a secret as a Subject, from the secret s, its
// application a, its domain d and the application's owner u.
func secretColumns(db *gorm.DB) *gorm.DB {
	return db.Table("client_secrets AS s").
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
	out := make(map[string]Subject, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := secretColumns(s.db.WithContext(ctx)).Where("s.id IN ?", ids[:n]).Rows()
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
	q := secretColumns(db).Where("s.expires_at IS NOT NULL AND s.expires_at <= ?", horizon.UTC())
	if after != nil {
		// A row value: both databases start the index walk there. (With
		// "expires_at > ? OR (expires_at = ? AND id > ?)" SQLite walked
		// from the first due secret on every page.)
		q = q.Where("(s.expires_at, s.id) > (?, ?)", after.ExpiresAt.UTC(), after.ID)
	}
	q = q.Where(`NOT EXISTS (SELECT 1 FROM notification_ledgers l
		WHERE l.secret_id = s.id AND l.expires_at = s.expires_at AND l.event = ? AND l.secret_id IS NOT NULL)`, NoticeExpired)
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

// NoticeKey identifies one event of one subject's expiry: "will expire"
// with the threshold crossed (in days), or "expired" (threshold 0). The
// subject's kind is the Decider's or the query's.
type NoticeKey struct {
	SubjectID string
	ExpiresAt time.Time
	Event     string
	Threshold int
}

// Canonical returns the key with its time in one representation, so that
// keys of the same instant compare equal as map keys (time.Time values of
// one instant can differ in location and monotonic reading).
func (k NoticeKey) Canonical() NoticeKey {
	k.ExpiresAt = time.Unix(0, k.ExpiresAt.UnixNano()).UTC()
	return k
}

// DecidedNotices reports which notices of the given due subjects of a kind
// already have ledger rows, for the expiry each has, keyed by canonical
// NoticeKey (see NoticeKey.Canonical). It looks up exactly those (expiry,
// subject) pairs in the kind's key, however many other rows lie between
// them.
func (s *Store) DecidedNotices(ctx context.Context, kind LedgerKind, due []Subject) (map[NoticeKey]bool, error) {
	out := map[NoticeKey]bool{}
	if len(due) == 0 {
		return out, nil
	}
	// The pairs travel as one JSON document; the expiry in SQLite's text
	// form, which PostgreSQL reads as a timestamp too.
	pairs := make([][2]string, len(due))
	for i, d := range due {
		pairs[i] = [2]string{sqliteTime(d.ExpiresAt), d.ID}
	}
	doc, err := json.Marshal(pairs)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	col := kind.Column
	// "IS NOT NULL" lets both databases use the kind's partial key.
	in := "(expires_at, " + col + ") IN (SELECT value->>0, value->>1 FROM jsonb_each(?)) AND " + col + " IS NOT NULL"
	if db.Dialector.Name() == "postgres" {
		in = "(expires_at, " + col + ") IN (SELECT CAST(p->>0 AS timestamptz), p->>1 FROM jsonb_array_elements(CAST(? AS jsonb)) AS p) AND " +
			col + " IS NOT NULL"
	}
	q := db.Model(&NotificationLedger{}).Distinct(col, "expires_at", "event", "threshold").Where(in, string(doc))
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k NoticeKey
		if err := rows.Scan(&k.SubjectID, &k.ExpiresAt, &k.Event, &k.Threshold); err != nil {
			return nil, err
		}
		out[k.Canonical()] = true
	}
	return out, rows.Err()
}

// ReclaimPending hands every pending row whose lease has run out to claim,
// until leaseUntil: rows of a run that crashed between deciding and
// delivering, and rows whose delivery failed. It returns how many it took.
// The UPDATE is atomic per row, so two runs never take the same row.
func (s *Store) ReclaimPending(ctx context.Context, claim string, leaseUntil time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Model(&NotificationLedger{}).
		// The status is written out so that SQLite can use the partial
		// index idx_ledger_lease (it cannot match a bound parameter).
		Where("status = 'pending' AND lease_until <= ?", s.now()).
		Updates(map[string]any{"claim": claim, "lease_until": leaseUntil.UTC()})
	return res.RowsAffected, res.Error
}

// Delivery is a claimed ledger row with what delivering it needs; the
// subject it is about is read by its kind (see Store.Subjects).
type Delivery struct {
	ID                  uint64
	Kind, SubjectID     string
	Channel, Recipient  string
	Event               string
	Threshold, Attempts int
	// ExpiresAt is the expiry the notice was decided for.
	ExpiresAt time.Time
	// The recipient user, for the ui and email channels; nil when the row is
	// not about a user or the user no longer exists.
	UserEmail, UserName *string
	UserDisabled        *bool
}

// deliveries selects ledger rows with what delivering them needs.
func (s *Store) deliveries(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("notification_ledgers AS l").
		Select(`l.id, l.kind, `+s.subjectColumn()+` AS subject_id, l.channel, l.recipient, l.event, l.threshold,
			l.attempts, l.expires_at, u.email AS user_email, u.name AS user_name, u.disabled AS user_disabled`).
		Joins("LEFT JOIN users u ON u.id = l.recipient AND l.channel IN ?", []string{ChannelUI, ChannelEmail})
}

func scanDeliveries(q *gorm.DB) ([]Delivery, error) {
	var out []Delivery
	err := q.Scan(&out).Error
	for i := range out {
		out[i].ExpiresAt = out[i].ExpiresAt.UTC()
	}
	return out, err
}

// Subjects returns the subjects of a kind with the given ids, as they are
// now, by id; those that are gone are left out.
func (s *Store) Subjects(ctx context.Context, kind string, ids []string) (map[string]Subject, error) {
	k, err := s.kind(kind)
	if err != nil {
		return nil, err
	}
	return k.Subjects(ctx, s, uniq(ids))
}

// ClaimedDeliveries returns up to limit pending rows of one channel claimed
// by claim, with ids above afterID, by id.
func (s *Store) ClaimedDeliveries(ctx context.Context, claim, channel string, afterID uint64, limit int) ([]Delivery, error) {
	return scanDeliveries(s.deliveries(ctx).
		// The literal status lets SQLite use the partial index
		// idx_ledger_claim, which holds pending rows only.
		Where("l.claim = ? AND l.channel = ? AND l.status = 'pending' AND l.id > ?", claim, channel, afterID).
		Order("l.id").Limit(limit))
}

// RetryableDeliveries returns up to limit pending rows whose lease has run
// out (which the next run will take over), with ids above afterID, by id;
// for dry runs.
func (s *Store) RetryableDeliveries(ctx context.Context, afterID uint64, limit int) ([]Delivery, error) {
	return scanDeliveries(s.deliveries(ctx).
		Where("l.status = 'pending' AND l.lease_until <= ? AND l.id > ?", s.now(), afterID).Order("l.id").Limit(limit))
}

// ErrLeaseLost is returned when a ledger row is no longer claimed by the
// caller (another run took it over after the lease ran out).
var ErrLeaseLost = errors.New("ledger row is no longer claimed by this run")

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

// CompleteDeliveries marks rows sent. Rows no longer claimed by claim are
// left alone.
func (s *Store) CompleteDeliveries(ctx context.Context, claim string, ids []uint64) error {
	return s.setStatus(ctx, claim, ids, LedgerSent)
}

// ObsoleteDeliveries marks rows that are no longer worth delivering.
func (s *Store) ObsoleteDeliveries(ctx context.Context, claim string, ids []uint64) error {
	return s.setStatus(ctx, claim, ids, LedgerObsolete)
}

func (s *Store) setStatus(ctx context.Context, claim string, ids []uint64, status string) error {
	now := s.now()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		upd := map[string]any{"status": status}
		if status == LedgerSent {
			upd["sent_at"] = now
		}
		err := s.db.WithContext(ctx).Model(&NotificationLedger{}).
			Where("id IN ? AND claim = ? AND status = ?", ids[:n], claim, LedgerPending).Updates(upd).Error
		if err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// FailDelivery records a failed attempt. The row stays pending with its
// lease released, so the next run retries it, until MaxDeliveryAttempts
// attempts have failed; then it is marked failed. It returns the row's new
// status.
func (s *Store) FailDelivery(ctx context.Context, claim string, id uint64, attempts int, problem string) (string, error) {
	status := LedgerPending
	if attempts+1 >= MaxDeliveryAttempts {
		status = LedgerFailed
	}
	err := s.db.WithContext(ctx).Model(&NotificationLedger{}).
		Where("id = ? AND claim = ? AND status = ?", id, claim, LedgerPending).
		Updates(map[string]any{
			"attempts": gorm.Expr("attempts + 1"), "last_error": truncateRunes(problem, 500),
			"lease_until": s.now(), "status": status,
		}).Error
	return status, err
}

// ReleaseDelivery gives a claimed row back without counting an attempt, so
// the next run tries it (used when a run skips a row, e.g. after its webhook
// URL already failed in this run).
func (s *Store) ReleaseDelivery(ctx context.Context, claim string, id uint64) error {
	return s.db.WithContext(ctx).Model(&NotificationLedger{}).
		Where("id = ? AND claim = ? AND status = ?", id, claim, LedgerPending).
		Update("lease_until", s.now()).Error
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
			if err := insertNotices(tx, now, "l.id IN ?", still); err != nil {
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

// insertNotices stores the console notices of the ledger rows that match
// where: one per console row whose user still exists (a user deleted since
// the row was decided gets nothing). A row that has its notice already
// (one moved there by the upgrade from the first schema) keeps it.
func insertNotices(tx *gorm.DB, at time.Time, where string, args ...any) error {
	return tx.Exec(`INSERT INTO notifications (ledger_id, user_id, created_at)
		SELECT l.id, l.recipient, ? FROM notification_ledgers AS l
		WHERE l.channel = ? AND `+where+` AND EXISTS (SELECT 1 FROM users AS u WHERE u.id = l.recipient)
		ON CONFLICT DO NOTHING`,
		append([]any{at, ChannelUI}, args...)...).Error
}

// PendingNotices counts pending ledger rows: decided and not yet delivered.
func (s *Store) PendingNotices(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&NotificationLedger{}).Where("status = ?", LedgerPending).Count(&n).Error
	return n, err
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
func resetNotices(tx *gorm.DB, secretID string) error {
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
