package migrations

import (
	"context"
	"database/sql"
	"errors"
)

// applicationNameTrigrams (00111) gives the applications search a trigram
// index on PostgreSQL when the pg_trgm extension can be had (issue 19).
// The search keeps the applications whose lower(name) contains the query
// (LIKE '%q%'), which no B-tree answers: without the index it reads every
// application of the domain, 3–5 ms at 10,000; with it, 0.3 ms. The
// statement is the same either way, so its results are too.
//
// pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner
// may create it. One that is already there, in any schema, is used; else
// it is created in public, never in the store's own schema (dropping that
// schema would take the extension, and every other schema's index on it,
// along). Where neither works (no rights, not installed) the migration
// does nothing and the search stays a scan. SQLite has no such index.
func applicationNameTrigrams(ctx context.Context, tx *sql.Tx, d Dialect) error {
	if d != Postgres {
		return nil
	}
	schema, err := trigramSchema(ctx, tx)
	if err != nil {
		return err
	}
	if schema == "" {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT trgm"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"); err != nil {
			// Not available or not allowed (or created meanwhile by
			// another schema's migration, which the check below sees).
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT trgm"); err != nil {
				return err
			}
		}
		if schema, err = trigramSchema(ctx, tx); err != nil || schema == "" {
			return err
		}
	}
	q := inspector{ctx: ctx, tx: tx, d: d}
	return q.exec(`CREATE INDEX IF NOT EXISTS idx_applications_name_trgm ON applications USING gin (lower(name) ` +
		quoteIdent(schema) + `.gin_trgm_ops)`)
}

// trigramSchema returns the schema pg_trgm is installed in, or "".
func trigramSchema(ctx context.Context, tx *sql.Tx) (string, error) {
	var schema string
	err := tx.QueryRowContext(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'pg_trgm'`).Scan(&schema)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return schema, err
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			out = append(out, '"')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}
