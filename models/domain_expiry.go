package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// DomainExpiry is what the domain page shows of its secrets' expiry.
type DomainExpiry struct {
	// Counts are by the store's "expiring soon" window.
	Counts ExpiryCounts
	// Expiring lists the soonest secrets that have expired or expire
	// within the page's window; Total counts them all.
	Expiring []ExpiringSecret
	Total    int64
	// Applications counts the domain's applications (the page's total),
	// read with the counts: one round trip fewer.
	Applications int64
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
	var r expiryRanges
	if err := domainExpiryCounts(s.db.WithContext(ctx), domainID, now, first, last).Scan(&r).Error; err != nil {
		return nil, err
	}
	out := &DomainExpiry{Counts: ExpiryCounts{Expired: r.ByNow, Expiring: r.ToFirst}, Total: r.ByNow + r.ToFirst, Applications: r.Apps}
	if soon.After(end) {
		out.Counts.Expiring += r.ToLast
	} else {
		out.Total += r.ToLast
	}
	if out.Total == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Raw(`SELECT s.id AS secret_id, s.description, a.id AS application_id, a.name AS application_name, s.expires_at
FROM client_secrets AS s CROSS JOIN applications AS a
WHERE s.domain_id = ? AND s.expires_at IS NOT NULL AND s.expires_at <= ? AND a.id = s.application_id
ORDER BY s.expires_at, lower(a.name), s.description LIMIT ?`, domainID, end, limit).Scan(&out.Expiring).Error
	return out, err
}

// expiryRanges counts a domain's secrets in three disjoint ranges of
// expiry: by now, then to the sooner of "expiring soon" and the page's
// window, then to the later of the two.
type expiryRanges struct{ ByNow, ToFirst, ToLast, Apps int64 }

// domainExpiryCounts counts expiryRanges, each a bare COUNT of one range of
// the index on (domain_id, expires_at) that reads no secret's row: on
// SQLite less than half of one SUM(CASE ...) pass over the whole window,
// however many applications the domain has; and, in the same statement,
// the domain's applications.
func domainExpiryCounts(db *gorm.DB, domainID string, now, first, last time.Time) *gorm.DB {
	const between = "(SELECT COUNT(*) FROM client_secrets WHERE domain_id = ? AND expires_at > ? AND expires_at <= ?)"
	return db.Raw("SELECT (SELECT COUNT(*) FROM client_secrets WHERE domain_id = ? AND expires_at <= ?) AS by_now, "+
		between+" AS to_first, "+between+" AS to_last, (SELECT COUNT(*) FROM applications WHERE domain_id = ?) AS apps",
		domainID, now, domainID, now, first, domainID, first, last, domainID)
}
