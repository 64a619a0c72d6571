package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// FixtureSpec describes a synthetic data set for benchmarks and load tests:
// Domains domains of AppsPerDomain applications of SecretsPerApp secrets,
// owned by Users users in turn (each domain has one owner and each
// application another). The secrets' values are not real secrets: nothing
// can authenticate with them.
type FixtureSpec struct {
	Users, Domains, AppsPerDomain, SecretsPerApp int
	// Expiry gives the expiry of the i-th secret (counting from 0); nil
	// means it never expires.
	Expiry func(i int) *time.Time
}

// fixtureBatch rows per INSERT statement keeps within SQLite's limit of
// bound parameters.
const fixtureBatch = 500

// LoadFixture inserts the data set in one transaction. Secrets, by far the
// most numerous, go in with raw multi-row INSERTs: through GORM's reflection
// a million rows would take most of a minute.
func (s *Store) LoadFixture(ctx context.Context, f FixtureSpec) error {
	now := s.now()
	id := func(kind byte, i int) string { return fmt.Sprintf("%08x-0000-4000-8%03x-%012x", i, kind, i) }
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		users := make([]User, f.Users)
		for i := range users {
			users[i] = User{ID: id(1, i), Email: fmt.Sprintf("user%d@fixture.example", i), Name: fmt.Sprintf("User %d", i),
				PasswordHash: "!", Role: RoleViewer, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
		}
		if err := tx.CreateInBatches(users, fixtureBatch).Error; err != nil {
			return err
		}
		domains := make([]Domain, f.Domains)
		for i := range domains {
			domains[i] = Domain{ID: id(2, i), HRID: fmt.Sprintf("fixture-%d", i), Name: fmt.Sprintf("Fixture domain %d", i),
				Enabled: true, CreatedAt: now, UpdatedAt: now}
		}
		if err := tx.Omit("Owners").CreateInBatches(domains, fixtureBatch).Error; err != nil {
			return err
		}
		owners := make([]map[string]any, f.Domains)
		for i := range owners {
			owners[i] = map[string]any{"domain_id": id(2, i), "user_id": id(1, i%f.Users)}
		}
		if err := tx.Table("domain_owners").CreateInBatches(owners, fixtureBatch).Error; err != nil {
			return err
		}
		apps := make([]Application, 0, fixtureBatch)
		flush := func() error {
			err := tx.Omit("Owner", "Domain").CreateInBatches(apps, fixtureBatch).Error
			apps = apps[:0]
			return err
		}
		for i := range f.Domains * f.AppsPerDomain {
			owner := id(1, (i+1)%f.Users)
			apps = append(apps, Application{ID: id(3, i), DomainID: id(2, i/f.AppsPerDomain), Name: fmt.Sprintf("App %d", i),
				Type: AppTypeService, ClientID: fmt.Sprintf("fixture%024x", i), OwnerID: &owner,
				AccessTokenLifetime: DefaultAccessTokenLifetime, CreatedAt: now, UpdatedAt: now})
			if len(apps) == fixtureBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(apps) > 0 {
			if err := flush(); err != nil {
				return err
			}
		}
		total := f.Domains * f.AppsPerDomain * f.SecretsPerApp
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", 7), ",") + ")"
		for start := 0; start < total; start += fixtureBatch {
			n := min(fixtureBatch, total-start)
			var sb strings.Builder
			sb.WriteString("INSERT INTO client_secrets (id, application_id, description, digest, hint, created_at, expires_at) VALUES ")
			args := make([]any, 0, n*7)
			for i := start; i < start+n; i++ {
				if i > start {
					sb.WriteByte(',')
				}
				sb.WriteString(row)
				var exp any
				if f.Expiry != nil {
					if t := f.Expiry(i); t != nil {
						exp = t.UTC()
					}
				}
				args = append(args, id(4, i), id(3, i/f.SecretsPerApp), fmt.Sprintf("secret %d", i%f.SecretsPerApp),
					fmt.Sprintf("%064x", i), "fixt", now, exp)
			}
			if err := tx.Exec(sb.String(), args...).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// Checkpoint writes SQLite's write-ahead log into the database file, so the
// file alone holds everything (benchmarks copy it); a no-op on PostgreSQL.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.db.Dialector.Name() != "sqlite" {
		return nil
	}
	return s.db.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}
