package migrations

import (
	"context"
	"database/sql"
)

// applicationResources is migration 00080: applications.resources, the
// RFC 8707 resource indicators a client may name as its tokens' audience
// (issue 17, item 4), space-separated; empty means none. In Go because
// SQLite cannot add a column only if it is missing, and a migration may
// run again on a schema that has it.
func applicationResources(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	has, err := q.hasColumn("applications", "resources")
	if err != nil || has {
		return err
	}
	return q.exec("ALTER TABLE applications ADD COLUMN resources text NOT NULL DEFAULT ''")
}
