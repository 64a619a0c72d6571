package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"latchkey/models"
)

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
func (l *Ledger) DecidedNotices(ctx context.Context, kind models.LedgerKind, due []models.Subject) (map[NoticeKey]bool, error) {
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
	db := l.db.WithContext(ctx)
	col := kind.Column
	// "IS NOT NULL" lets both databases use the kind's partial key.
	in := "(expires_at, " + col + ") IN (SELECT value->>0, value->>1 FROM jsonb_each(?)) AND " + col + " IS NOT NULL"
	if db.Dialector.Name() == "postgres" {
		in = "(expires_at, " + col + ") IN (SELECT CAST(p->>0 AS timestamptz), p->>1 FROM jsonb_array_elements(CAST(? AS jsonb)) AS p) AND " +
			col + " IS NOT NULL"
	}
	q := db.Model(&models.NotificationLedger{}).Distinct(col, "expires_at", "event", "threshold").Where(in, string(doc))
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
func (l *Ledger) ReclaimPending(ctx context.Context, claim string, leaseUntil time.Time) (int64, error) {
	res := l.db.WithContext(ctx).Model(&models.NotificationLedger{}).
		// The status is written out so that SQLite can use the partial
		// index idx_ledger_lease (it cannot match a bound parameter).
		Where("status = 'pending' AND lease_until <= ?", l.now()).
		Updates(map[string]any{"claim": claim, "lease_until": leaseUntil.UTC()})
	return res.RowsAffected, res.Error
}

// Delivery is a claimed ledger row with what delivering it needs; the
// subject it is about is read by its kind (see models.Store.Subjects).
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
func (l *Ledger) deliveries(ctx context.Context) *gorm.DB {
	return l.db.WithContext(ctx).Table("notification_ledgers AS l").
		Select(`l.id, l.kind, `+l.s.SubjectColumn()+` AS subject_id, l.channel, l.recipient, l.event, l.threshold,
			l.attempts, l.expires_at, u.email AS user_email, u.name AS user_name, u.disabled AS user_disabled`).
		Joins("LEFT JOIN users u ON u.id = l.recipient AND l.channel IN ?", []string{models.ChannelUI, models.ChannelEmail})
}

func scanDeliveries(q *gorm.DB) ([]Delivery, error) {
	var out []Delivery
	err := q.Scan(&out).Error
	for i := range out {
		out[i].ExpiresAt = out[i].ExpiresAt.UTC()
	}
	return out, err
}

// ClaimedDeliveries returns up to limit pending rows of one channel claimed
// by claim, with ids above afterID, by id.
func (l *Ledger) ClaimedDeliveries(ctx context.Context, claim, channel string, afterID uint64, limit int) ([]Delivery, error) {
	return scanDeliveries(l.deliveries(ctx).
		// The literal status lets SQLite use the partial index
		// idx_ledger_claim, which holds pending rows only.
		Where("l.claim = ? AND l.channel = ? AND l.status = 'pending' AND l.id > ?", claim, channel, afterID).
		Order("l.id").Limit(limit))
}

// RetryableDeliveries returns up to limit pending rows whose lease has run
// out (which the next run will take over), with ids above afterID, by id;
// for dry runs.
func (l *Ledger) RetryableDeliveries(ctx context.Context, afterID uint64, limit int) ([]Delivery, error) {
	return scanDeliveries(l.deliveries(ctx).
		Where("l.status = 'pending' AND l.lease_until <= ? AND l.id > ?", l.now(), afterID).Order("l.id").Limit(limit))
}

// ErrLeaseLost is returned when a ledger row is no longer claimed by the
// caller (another run took it over after the lease ran out).
var ErrLeaseLost = errors.New("ledger row is no longer claimed by this run")

// CompleteDeliveries marks rows sent. Rows no longer claimed by claim are
// left alone.
func (l *Ledger) CompleteDeliveries(ctx context.Context, claim string, ids []uint64) error {
	return l.setStatus(ctx, claim, ids, models.LedgerSent)
}

// ObsoleteDeliveries marks rows that are no longer worth delivering.
func (l *Ledger) ObsoleteDeliveries(ctx context.Context, claim string, ids []uint64) error {
	return l.setStatus(ctx, claim, ids, models.LedgerObsolete)
}

func (l *Ledger) setStatus(ctx context.Context, claim string, ids []uint64, status string) error {
	now := l.now()
	for len(ids) > 0 {
		n := min(len(ids), 500)
		upd := map[string]any{"status": status}
		if status == models.LedgerSent {
			upd["sent_at"] = now
		}
		err := l.db.WithContext(ctx).Model(&models.NotificationLedger{}).
			Where("id IN ? AND claim = ? AND status = ?", ids[:n], claim, models.LedgerPending).Updates(upd).Error
		if err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// FailDelivery records a failed attempt. The row stays pending with its
// lease released, so the next run retries it, until models.MaxDeliveryAttempts
// attempts have failed; then it is marked failed. It returns the row's new
// status.
func (l *Ledger) FailDelivery(ctx context.Context, claim string, id uint64, attempts int, problem string) (string, error) {
	status := models.LedgerPending
	if attempts+1 >= models.MaxDeliveryAttempts {
		status = models.LedgerFailed
	}
	err := l.db.WithContext(ctx).Model(&models.NotificationLedger{}).
		Where("id = ? AND claim = ? AND status = ?", id, claim, models.LedgerPending).
		Updates(map[string]any{
			"attempts": gorm.Expr("attempts + 1"), "last_error": truncateRunes(problem, 500),
			"lease_until": l.now(), "status": status,
		}).Error
	return status, err
}

// ReleaseDelivery gives a claimed row back without counting an attempt, so
// the next run tries it (used when a run skips a row, e.g. after its webhook
// URL already failed in this run).
func (l *Ledger) ReleaseDelivery(ctx context.Context, claim string, id uint64) error {
	return l.db.WithContext(ctx).Model(&models.NotificationLedger{}).
		Where("id = ? AND claim = ? AND status = ?", id, claim, models.LedgerPending).
		Update("lease_until", l.now()).Error
}

// PendingNotices counts pending ledger rows: decided and not yet delivered.
func (l *Ledger) PendingNotices(ctx context.Context) (int64, error) {
	var n int64
	err := l.db.WithContext(ctx).Model(&models.NotificationLedger{}).Where("status = ?", models.LedgerPending).Count(&n).Error
	return n, err
}
