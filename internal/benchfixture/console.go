package benchfixture

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"latchkey/models"
)

// Console describes the console-at-scale data set (issue 19): Apps
// applications in one existing domain, each with 1–3 secrets (in turn),
// and AuditEvents audit events of that domain and its applications, one
// every 15 seconds back from the store's clock, two at each instant (so
// pages cross ties of created_at).
type Console struct {
	DomainID    string
	Apps        int
	AuditEvents int
	// OwnerID owns every application; "" for none.
	OwnerID string
}

// AppName is the name of the i-th application of a Console data set:
// zero-padded, so a search for one name finds exactly one application.
func AppName(i int) string { return fmt.Sprintf("App %05d", i) }

// AuditEventID is the id of the i-th audit event, counting from the
// newest (0).
func AuditEventID(i int) string { return fixtureID(6, i) }

// AppID is the id of the i-th application of a Console data set.
func AppID(i int) string { return fixtureID(5, i) }

// fixtureID makes a well-formed, distinct UUID per kind and number.
func fixtureID(kind byte, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8%03x-%012x", i, kind, i)
}

// LoadConsole inserts the data set in one transaction with multi-row
// INSERTs (a million audit events through GORM's reflection would take
// minutes).
func LoadConsole(ctx context.Context, s *models.Store, c Console) error {
	now := s.Now().UTC().Truncate(time.Microsecond)
	var owner any
	if c.OwnerID != "" {
		owner = c.OwnerID
	}
	err := s.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if tx.Dialector.Name() == "sqlite" {
			// A page cache that holds the indexes being filled (256 MB,
			// this connection only) saves most of the load's reads.
			if err := tx.Exec("PRAGMA cache_size = -262144").Error; err != nil {
				return err
			}
		}
		err := insertRows(tx, "applications",
			"id, domain_id, name, description, type, client_id, owner_id, access_token_lifetime, disabled, scopes, "+
				"secret_expiry_override, secret_expiry_unit, secret_expiry_duration, created_at, updated_at",
			c.Apps, func(i int) []any {
				return []any{AppID(i), c.DomainID, AppName(i), "", models.AppTypeService, fmt.Sprintf("console%025x", i), owner,
					models.DefaultAccessTokenLifetime, false, "", false, "", 0, now, now}
			})
		if err != nil {
			return err
		}
		// Application i has i%3+1 secrets: 1, 2, 3, 1, 2, 3, ...
		type secret struct{ app, n int }
		var secrets []secret
		for i := range c.Apps {
			for n := range i%3 + 1 {
				secrets = append(secrets, secret{i, n})
			}
		}
		err = insertRows(tx, "client_secrets", "id, application_id, domain_id, description, digest, hint, created_at, expires_at",
			len(secrets), func(k int) []any {
				sc := secrets[k]
				// Expiries spread over a year, a few already past.
				exp := now.Add(time.Duration(k%400-30) * 24 * time.Hour)
				return []any{fixtureID(7, k), AppID(sc.app), c.DomainID, fmt.Sprintf("secret %d", sc.n), fmt.Sprintf("c%063x", k), "fixt", now, exp}
			})
		if err != nil {
			return err
		}
		types := []string{models.EventSecretCreated, models.EventSecretRenewed, models.EventApplicationUpdated, models.EventLogin}
		// A million rows go in several times faster without the secondary
		// indexes, built afterwards from sorted data.
		indexes, err := dropIndexes(tx, "audit_events")
		if err != nil {
			return err
		}
		err = insertRows(tx, "audit_events",
			"id, created_at, type, actor_id, actor_email, client_ip, domain_id, application_id, target_id, target_name, outcome, detail",
			c.AuditEvents, func(i int) []any {
				app := ""
				if c.Apps > 0 {
					app = AppID(i % c.Apps)
				}
				return []any{AuditEventID(i), now.Add(-time.Duration(i/2) * 15 * time.Second), types[i%len(types)], c.OwnerID,
					"fixture@example.com", "192.0.2.1", c.DomainID, app, app, "fixture", models.OutcomeSuccess, ""}
			})
		for _, def := range indexes {
			if err == nil {
				err = tx.Exec(def).Error
			}
		}
		return err
	})
	if err == nil && s.DB().Dialector.Name() == "postgres" {
		// Fresh statistics, as autovacuum would gather a little later:
		// without them the planner takes 10,000 rows for a handful.
		err = s.DB().WithContext(ctx).Exec("ANALYZE applications, client_secrets, audit_events").Error
	}
	return err
}

// dropIndexes drops table's secondary indexes and returns the statements
// that create them again.
func dropIndexes(tx *gorm.DB, table string) ([]string, error) {
	var rows []struct{ Name, Def string }
	query := "SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
	if tx.Dialector.Name() == "postgres" {
		query = `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
WHERE i.tablename = ? AND i.schemaname = current_schema() AND i.indexname NOT IN
  (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))`
	}
	if err := tx.Raw(query, table).Scan(&rows).Error; err != nil {
		return nil, err
	}
	defs := make([]string, len(rows))
	for i, r := range rows {
		if err := tx.Exec(`DROP INDEX "` + r.Name + `"`).Error; err != nil {
			return nil, err
		}
		defs[i] = r.Def
	}
	return defs, nil
}

// insertRows inserts n rows of columns into table, row(i) giving the i-th
// row's values, as few statements as SQLite's limit of bound parameters
// (32,766) allows.
func insertRows(tx *gorm.DB, table, columns string, n int, row func(i int) []any) error {
	width := strings.Count(columns, ",") + 1
	batch := 30000 / width
	pg := tx.Dialector.Name() == "postgres"
	for start := 0; start < n; start += batch {
		m := min(batch, n-start)
		var sb strings.Builder
		sb.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		args := make([]any, 0, m*width)
		for i := start; i < start+m; i++ {
			if i > start {
				sb.WriteByte(',')
			}
			// The driver's own placeholders: GORM does not rewrite them here.
			sb.WriteByte('(')
			for j := range width {
				if j > 0 {
					sb.WriteByte(',')
				}
				if pg {
					sb.WriteString("$" + strconv.Itoa(len(args)+j+1))
				} else {
					sb.WriteByte('?')
				}
			}
			sb.WriteByte(')')
			args = append(args, row(i)...)
		}
		// Straight to the driver: GORM's logger would format every
		// statement, 30,000 arguments and all.
		if _, err := tx.Statement.ConnPool.ExecContext(tx.Statement.Context, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
