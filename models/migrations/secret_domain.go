package migrations

import (
	"context"
	"database/sql"
)

// secretDomain (00110) gives every client secret its application's domain
// (issue 19): the domain page counts a domain's expired and expiring
// secrets by a range scan of the index on (domain_id, expires_at) instead
// of one index lookup per application, which cost 12 ms at 10,000
// applications. A secret never moves between domains, and a domain's
// deletion reaches its secrets through their applications, so the copy
// cannot go stale; the store fills it on every insert. Written in Go
// because SQLite has no ADD COLUMN IF NOT EXISTS, and a database whose
// migration records were lost runs this again.
func secretDomain(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	has, err := q.hasColumn("client_secrets", "domain_id")
	if err != nil {
		return err
	}
	if !has {
		// SQLite adds a NOT NULL column only with a default; PostgreSQL
		// gets its constraint once every row has its domain.
		def := "text"
		if d != Postgres {
			def = "text NOT NULL DEFAULT ''"
		}
		if err := q.exec("ALTER TABLE client_secrets ADD COLUMN domain_id " + def); err != nil {
			return err
		}
	}
	err = q.exec(`UPDATE client_secrets SET domain_id = (SELECT a.domain_id FROM applications a WHERE a.id = client_secrets.application_id)
WHERE domain_id IS NULL OR domain_id = ''`)
	if err == nil && d == Postgres {
		err = q.exec("ALTER TABLE client_secrets ALTER COLUMN domain_id SET NOT NULL")
	}
	if err != nil {
		return err
	}
	return q.exec("CREATE INDEX IF NOT EXISTS idx_secret_domain_expiry ON client_secrets (domain_id, expires_at)")
}
