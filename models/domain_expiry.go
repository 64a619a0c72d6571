package models

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"

	"latchkey/models/migrations"
)

// DomainExpiry is what the domain page shows of its secrets' expiry.
type DomainExpiry struct {
	// Counts are by the store's "expiring soon" window.
	Counts ExpiryCounts
	// Expiring lists the soonest secrets that have expired or expire
	// within the page's window; Total counts them all.
	Expiring []ExpiringSecret
	Total    int64
}

// DomainExpiryOverview returns the domain page's expiry figures in two
// queries however many applications the domain has: the counts, from
// ranges of the index on (domain_id, expires_at) (domainExpiryCounts), and
// the list, read in expiry order from the
// same index and stopped at limit (CROSS JOIN keeps SQLite's planner on
// that order; PostgreSQL plans it as any join).
func (s *Store) DomainExpiryOverview(ctx context.Context, domainID string, within time.Duration, limit int) (*DomainExpiry, error) {
	now := s.now()
	soon, end := now.Add(s.ExpiringSoon), now.Add(within)
	first, last := soon, end
	if soon.After(end) {
		first, last = end, soon
	}
	var out *DomainExpiry
	err := s.readExpiry(ctx, func(db *gorm.DB) error {
		var r expiryRanges
		if err := domainExpiryCounts(db, domainID, now, first, last).Scan(&r).Error; err != nil {
			return err
		}
		out = &DomainExpiry{Counts: ExpiryCounts{Expired: r.ByNow, Expiring: r.ToFirst}, Total: r.ByNow + r.ToFirst}
		if soon.After(end) {
			out.Counts.Expiring += r.ToLast
		} else {
			out.Total += r.ToLast
		}
		if out.Total == 0 {
			return nil
		}
		// Scanned by hand: GORM's reflection was a fifth of the domain
		// page's allocations.
		rows, err := db.Raw(`SELECT s.id, s.description, a.id, a.name, s.expires_at
FROM client_secrets AS s CROSS JOIN applications AS a
WHERE s.domain_id = ? AND s.expires_at IS NOT NULL AND s.expires_at <= ? AND a.id = s.application_id
ORDER BY s.expires_at, lower(a.name), s.description LIMIT ?`, domainID, end, limit).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		out.Expiring = make([]ExpiringSecret, 0, min(int64(limit), out.Total))
		for rows.Next() {
			var e ExpiringSecret
			if err := rows.Scan(&e.SecretID, &e.Description, &e.ApplicationID, &e.ApplicationName, &e.ExpiresAt); err != nil {
				return err
			}
			out.Expiring = append(out.Expiring, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// readExpiry runs the expiry overview's statements. On PostgreSQL they
// run in one read-only transaction (the counts and the list then agree)
// told to use generic plans: with its parameters a range of timestamps,
// PostgreSQL otherwise plans both statements anew on every execution, each
// cheaper to run than to plan (0.4-0.6 ms of planning against 0.3-0.4 of
// running, at 10,000 applications), and the generic plan is the same
// index range. Only these statements: the applications search needs its
// pattern planned (a generic plan of its LIKE reads the whole domain).
func (s *Store) readExpiry(ctx context.Context, run func(*gorm.DB) error) error {
	db := s.db.WithContext(ctx)
	if s.dialect != migrations.Postgres {
		return run(db)
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_generic_plan").Error; err != nil {
			return err
		}
		return run(tx)
	}, &sql.TxOptions{ReadOnly: true})
}

// expiryRanges counts a domain's secrets in three disjoint ranges of
// expiry: by now, then to the sooner of "expiring soon" and the page's
// window, then to the later of the two.
type expiryRanges struct{ ByNow, ToFirst, ToLast int64 }

// domainExpiryCounts counts expiryRanges, each a bare COUNT of one range of
// the index on (domain_id, expires_at) that reads no secret's row: on
// SQLite less than half of one SUM(CASE ...) pass over the whole window,
// however many applications the domain has.
func domainExpiryCounts(db *gorm.DB, domainID string, now, first, last time.Time) *gorm.DB {
	const between = "(SELECT COUNT(*) FROM client_secrets WHERE domain_id = ? AND expires_at > ? AND expires_at <= ?)"
	return db.Raw("SELECT (SELECT COUNT(*) FROM client_secrets WHERE domain_id = ? AND expires_at <= ?) AS by_now, "+
		between+" AS to_first, "+between+" AS to_last",
		domainID, now, domainID, now, first, domainID, first, last)
}
