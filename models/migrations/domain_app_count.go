package migrations

import (
	"context"
	"database/sql"
)

// domainAppCount (00112) gives each domain a count of its applications
// (issue 19): the domain page and the domains list show it, and counting a
// domain's 10,000 index entries on every view cost 0.7-0.9 ms on
// PostgreSQL, the page's most expensive statement. Triggers keep the
// column exact in the statement that adds, deletes or moves an
// application, whatever writes it. Written in Go because SQLite has no ADD
// COLUMN IF NOT EXISTS, and a database whose migration records were lost
// runs this again: the count is then taken anew.
func domainAppCount(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	has, err := q.hasColumn("domains", "app_count")
	if err != nil {
		return err
	}
	if !has {
		if err := q.exec("ALTER TABLE domains ADD COLUMN app_count integer NOT NULL DEFAULT 0"); err != nil {
			return err
		}
	}
	if err := q.exec("UPDATE domains SET app_count = (SELECT COUNT(*) FROM applications WHERE applications.domain_id = domains.id)"); err != nil {
		return err
	}
	if d == Postgres {
		// The function is made in the store's schema and keeps its
		// search_path, so a store in a schema of its own counts into its
		// own domains.
		return q.exec(`CREATE OR REPLACE FUNCTION latchkey_count_applications() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE domains SET app_count = app_count - 1 WHERE id = OLD.domain_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE domains SET app_count = app_count + 1 WHERE id = NEW.domain_id;
    END IF;
    RETURN NULL;
END
$$`,
			"DROP TRIGGER IF EXISTS applications_count_change ON applications",
			`CREATE TRIGGER applications_count_change AFTER INSERT OR DELETE ON applications
FOR EACH ROW EXECUTE FUNCTION latchkey_count_applications()`,
			"DROP TRIGGER IF EXISTS applications_count_move ON applications",
			`CREATE TRIGGER applications_count_move AFTER UPDATE OF domain_id ON applications
FOR EACH ROW WHEN (OLD.domain_id IS DISTINCT FROM NEW.domain_id) EXECUTE FUNCTION latchkey_count_applications()`)
	}
	return q.exec(`CREATE TRIGGER IF NOT EXISTS applications_count_insert AFTER INSERT ON applications
BEGIN
    UPDATE domains SET app_count = app_count + 1 WHERE id = NEW.domain_id;
END`,
		`CREATE TRIGGER IF NOT EXISTS applications_count_delete AFTER DELETE ON applications
BEGIN
    UPDATE domains SET app_count = app_count - 1 WHERE id = OLD.domain_id;
END`,
		`CREATE TRIGGER IF NOT EXISTS applications_count_move AFTER UPDATE OF domain_id ON applications
WHEN OLD.domain_id IS NOT NEW.domain_id
BEGIN
    UPDATE domains SET app_count = app_count - 1 WHERE id = OLD.domain_id;
    UPDATE domains SET app_count = app_count + 1 WHERE id = NEW.domain_id;
END`)
}
