package migrations

import (
	"context"
	"database/sql"
)

// addCompatColumns (00050) adds what Gravitee's clients send (issue 17): a
// domain's data plane, and an application's redirect URIs and grant types.
// Existing service applications keep the one grant they always had,
// client_credentials. Written in Go because SQLite has no ADD COLUMN IF NOT
// EXISTS, and a database whose migration records were lost runs this again.
func addCompatColumns(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	for _, c := range []struct{ table, column, def, then string }{
		{"domains", "data_plane_id", "text NOT NULL DEFAULT 'default'", ""},
		{"applications", "redirect_uris", "text NOT NULL DEFAULT ''", ""},
		{"applications", "grant_types", "text NOT NULL DEFAULT ''",
			"UPDATE applications SET grant_types = 'client_credentials' WHERE type = 'service'"},
	} {
		has, err := q.hasColumn(c.table, c.column)
		if err != nil {
			return err
		}
		if has {
			continue
		}
		if err := q.exec("ALTER TABLE " + c.table + " ADD COLUMN " + c.column + " " + c.def); err != nil {
			return err
		}
		if c.then != "" {
			if err := q.exec(c.then); err != nil {
				return err
			}
		}
	}
	return nil
}
