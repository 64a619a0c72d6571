package models

import "context"

// DomainSecretCounts counts one domain's secrets by status. Active includes
// the expiring ones.
type DomainSecretCounts struct {
	HRID                      string `gorm:"column:hrid"`
	Active, Expiring, Expired int64
}

// SecretCountsByDomain counts every domain's secrets by status in one
// query (for metrics).
func (s *Store) SecretCountsByDomain(ctx context.Context) ([]DomainSecretCounts, error) {
	now := s.now()
	soon := now.Add(s.ExpiringSoon)
	var out []DomainSecretCounts
	err := s.db.WithContext(ctx).Raw(`SELECT d.hrid AS hrid,
  COALESCE(SUM(CASE WHEN s.id IS NOT NULL AND (s.expires_at IS NULL OR s.expires_at > ?) THEN 1 ELSE 0 END), 0) AS active,
  COALESCE(SUM(CASE WHEN s.expires_at > ? AND s.expires_at <= ? THEN 1 ELSE 0 END), 0) AS expiring,
  COALESCE(SUM(CASE WHEN s.expires_at <= ? THEN 1 ELSE 0 END), 0) AS expired
FROM domains d
LEFT JOIN applications a ON a.domain_id = d.id
LEFT JOIN client_secrets s ON s.application_id = a.id
GROUP BY d.hrid ORDER BY d.hrid`, now, now, soon, now).Scan(&out).Error
	return out, err
}
