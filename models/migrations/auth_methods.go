package migrations

import (
	"context"
	"database/sql"
)

// applicationAuthMethods is migration 00090: the token endpoint
// authentication methods an application accepts (issue 16, item 4), as two
// flags whose zero values keep what every application did before: client
// secrets accepted, private_key_jwt not. In Go, as 00080, because SQLite
// cannot add a column only if it is missing.
func applicationAuthMethods(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	for _, col := range []string{"client_secret_auth_disabled", "private_key_jwt_enabled"} {
		has, err := q.hasColumn("applications", col)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		typ := "boolean"
		if d == SQLite {
			typ = "numeric"
		}
		if err := q.exec("ALTER TABLE applications ADD COLUMN " + col + " " + typ + " NOT NULL DEFAULT false"); err != nil {
			return err
		}
	}
	return nil
}
