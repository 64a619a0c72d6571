// Package benchfixture loads synthetic data sets for benchmarks and load
// tests (notify's BenchmarkScan1M): users, domains, applications and
// secrets by the hundred thousand. It is not part of the server; it
// imports models and writes through the store's database handle.
package benchfixture

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"latchkey/models"
)

// Spec describes a synthetic data set for benchmarks and load tests:
// Domains domains of AppsPerDomain applications of SecretsPerApp secrets,
// owned by Users users in turn (each domain has one owner and each
// application another). The secrets' values are not real secrets: nothing
// can authenticate with them.
type Spec struct {
	Users, Domains, AppsPerDomain, SecretsPerApp int
	// Expiry gives the expiry of the i-th secret (counting from 0); nil
	// means it never expires.
	Expiry func(i int) *time.Time
}

// fixtureBatch rows per INSERT statement keeps within SQLite's limit of
// bound parameters.
const fixtureBatch = 500

// Load inserts the data set in one transaction, stamped with the store's
// clock. Secrets, by far the most numerous, go in with raw multi-row
// INSERTs: through GORM's reflection a million rows would take most of a
// minute.
func Load(ctx context.Context, s *models.Store, f Spec) error {
	now := s.Now().UTC().Truncate(time.Microsecond)
	id := fixtureID
	return s.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		users := make([]models.User, f.Users)
		for i := range users {
			users[i] = models.User{ID: id(1, i), Email: fmt.Sprintf("user%d@fixture.example", i), Name: fmt.Sprintf("User %d", i),
				PasswordHash: "!", Role: models.RoleViewer, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
		}
		if err := tx.CreateInBatches(users, fixtureBatch).Error; err != nil {
			return err
		}
		domains := make([]models.Domain, f.Domains)
		for i := range domains {
			domains[i] = models.Domain{ID: id(2, i), HRID: fmt.Sprintf("fixture-%d", i), Name: fmt.Sprintf("Fixture domain %d", i),
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
		apps := make([]models.Application, 0, fixtureBatch)
		flush := func() error {
			err := tx.Omit("Owner", "Domain").CreateInBatches(apps, fixtureBatch).Error
			apps = apps[:0]
			return err
		}
		for i := range f.Domains * f.AppsPerDomain {
			owner := id(1, (i+1)%f.Users)
			apps = append(apps, models.Application{ID: id(3, i), DomainID: id(2, i/f.AppsPerDomain), Name: fmt.Sprintf("App %d", i),
				Type: models.AppTypeService, ClientID: fmt.Sprintf("fixture%024x", i), OwnerID: &owner,
				AccessTokenLifetime: models.DefaultAccessTokenLifetime, CreatedAt: now, UpdatedAt: now})
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
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", 8), ",") + ")"
		for start := 0; start < total; start += fixtureBatch {
			n := min(fixtureBatch, total-start)
			var sb strings.Builder
			sb.WriteString("INSERT INTO client_secrets (id, application_id, domain_id, description, digest, hint, created_at, expires_at) VALUES ")
			args := make([]any, 0, n*8)
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
				app := i / f.SecretsPerApp
				args = append(args, id(4, i), id(3, app), id(2, app/f.AppsPerDomain), fmt.Sprintf("secret %d", i%f.SecretsPerApp),
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
func Checkpoint(ctx context.Context, s *models.Store) error {
	db := s.DB()
	if db.Dialector.Name() != "sqlite" {
		return nil
	}
	return db.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
}
