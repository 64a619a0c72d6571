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
}

// DomainExpiryOverview returns the domain page's expiry figures in two
// queries however many applications the domain has: one range of the
// index on (domain_id, expires_at) that counts all three figures without
// reading a secret's row, and the list, read in expiry order from the
// same index and stopped at limit (CROSS JOIN keeps SQLite's planner on
// that order; PostgreSQL plans it as any join).
func (s *Store) DomainExpiryOverview(ctx context.Context, domainID string, within time.Duration, limit int) (*DomainExpiry, error) {
	now := s.now()
	soon, end := now.Add(s.ExpiringSoon), now.Add(within)
	var row domainExpiryRow
	err := domainExpiryCounts(s.db.WithContext(ctx), domainID, now, soon, end).Scan(&row).Error
	if err != nil {
		return nil, err
	}
	out := &DomainExpiry{Counts: ExpiryCounts{Expiring: row.Expiring, Expired: row.Expired}, Total: row.Total}
	if row.Total == 0 {
		return out, nil
	}
	err = s.db.WithContext(ctx).Raw(`SELECT s.id AS secret_id, s.description, a.id AS application_id, a.name AS application_name, s.expires_at
FROM client_secrets AS s CROSS JOIN applications AS a
WHERE s.domain_id = ? AND s.expires_at IS NOT NULL AND s.expires_at <= ? AND a.id = s.application_id
ORDER BY s.expires_at, lower(a.name), s.description LIMIT ?`, domainID, end, limit).Scan(&out.Expiring).Error
	return out, err
}

// domainExpiryRow is what domainExpiryCounts counts.
type domainExpiryRow struct{ Expiring, Expired, Total int64 }

// domainExpiryCounts counts a domain's secrets expired at now, expiring by
// soon and due by end, reading only the index on (domain_id, expires_at)
// up to the later of soon and end.
func domainExpiryCounts(db *gorm.DB, domainID string, now, soon, end time.Time) *gorm.DB {
	last := end
	if soon.After(end) {
		last = soon
	}
	return db.Table("client_secrets").
		Select(`COALESCE(SUM(CASE WHEN expires_at > ? AND expires_at <= ? THEN 1 ELSE 0 END), 0) AS expiring,
  COALESCE(SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END), 0) AS expired,
  COALESCE(SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END), 0) AS total`, now, soon, now, end).
		Where("domain_id = ? AND expires_at IS NOT NULL AND expires_at <= ?", domainID, last)
}
