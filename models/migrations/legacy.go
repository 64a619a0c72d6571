package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// Databases made by Latchkey before numbered migrations have no goose
// table, and their tables are in today's shape (00002 adopts them as they
// are) or, for the notifier, in the first schema's. Migration 00001 sets
// the first schema's tables aside, 00002 creates today's in their place,
// and 00003 moves their rows across. On every other database they do
// nothing.
//
// The first schema's ledger key and foreign key led with the secret's id,
// which scattered a run's inserts all over the index. Its console notices
// stored their words (title, message, link) under a random id; now a
// notice is its ledger row's id, its user and its read state, and its
// words are made up when it is shown.

// Tables 00001 sets the old shapes aside in: plain copies (CREATE TABLE AS),
// so they clash with no index or constraint name of today's tables.
const (
	oldLedger  = "notification_ledgers_v1"
	oldNotices = "notifications_v1"
	// keptNotices holds today's console notices while the ledger they
	// point to is rebuilt.
	keptNotices = "notifications_kept"
)

// Values of the notifier's columns as the first schema wrote them, frozen
// here: a migration must not change when the models do.
const (
	channelUI  = "ui"
	ledgerSent = "sent"
)

// ledgerColumns are the ledger's columns, the same in both shapes.
const ledgerColumns = `id, expires_at, secret_id, event, threshold, recipient, channel, status, claim,
	lease_until, attempts, last_error, created_at, sent_at`

// goMigrations are the migrations written in Go, named for the status
// listing like the SQL files are.
func goMigrations(d Dialect, kek []byte) []*goose.Migration {
	m := func(version int64, name string, up func(context.Context, *sql.Tx, Dialect) error) *goose.Migration {
		g := goose.NewGoMigration(version,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return up(ctx, tx, d) }}, nil)
		g.Source = fmt.Sprintf("%05d_%s.go", version, name)
		return g
	}
	return []*goose.Migration{
		m(1, "set_aside_first_schema", setAsideFirstSchema),
		m(3, "move_first_schema_rows", moveFirstSchemaRows),
		m(31, "certificates_from_signing_keys", func(ctx context.Context, tx *sql.Tx, d Dialect) error {
			return certificatesFromSigningKeys(ctx, tx, d, kek)
		}),
		m(50, "compat_columns", addCompatColumns),
		m(80, "application_resources", applicationResources),
		m(90, "application_auth_methods", applicationAuthMethods),
		m(110, "secret_domain", secretDomain),
		m(111, "application_name_trigrams", applicationNameTrigrams),
		m(112, "domain_app_count", domainAppCount),
	}
}

// setAsideFirstSchema copies the first schema's ledger and console notices
// to tables of their own and drops them, so 00002 creates today's. A
// ledger whose key is missing (an upgrade by an earlier version stopped
// half way) counts as old. Ledger rows for an expiry their secret no
// longer has (it was renewed) are not kept: today's foreign key does not
// allow them, and renewing deletes them anyway. They are history (most
// were sent) and can never be sent again.
func setAsideFirstSchema(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	ledger, err := q.hasTable("notification_ledgers")
	if err != nil {
		return err
	}
	oldKey := false
	if ledger {
		first, err := q.firstIndexColumn("idx_ledger_key")
		if err != nil {
			return err
		}
		oldKey = first != "expires_at"
	}
	notices, err := q.hasTable("notifications")
	if err != nil {
		return err
	}
	oldShape := false
	if notices {
		if oldShape, err = q.hasColumn("notifications", "title"); err != nil {
			return err
		}
	}
	var steps []string
	if oldShape {
		steps = append(steps, "CREATE TABLE "+oldNotices+" AS SELECT * FROM notifications", "DROP TABLE notifications")
	}
	if oldKey {
		// Deleting a row deletes its notice of today's shape (ON DELETE
		// CASCADE), as renewing the secret does.
		steps = append(steps, `DELETE FROM notification_ledgers WHERE NOT EXISTS (SELECT 1 FROM client_secrets s
			WHERE s.id = notification_ledgers.secret_id AND s.expires_at = notification_ledgers.expires_at)`)
		if notices && !oldShape {
			steps = append(steps, "CREATE TABLE "+keptNotices+" AS SELECT * FROM notifications", "DROP TABLE notifications")
		}
		steps = append(steps, "CREATE TABLE "+oldLedger+" AS SELECT * FROM notification_ledgers", "DROP TABLE notification_ledgers")
	}
	return q.exec(steps...)
}

// moveFirstSchemaRows moves the rows set aside by 00001 into today's
// tables and drops the copies, and drops the first schema's index for the
// scan (idx_client_secrets_expiry replaces it).
func moveFirstSchemaRows(ctx context.Context, tx *sql.Tx, d Dialect) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	if err := q.exec("DROP INDEX IF EXISTS idx_client_secrets_expires_at"); err != nil {
		return err
	}
	if ok, err := q.hasTable(oldLedger); err != nil {
		return err
	} else if ok {
		steps := []string{"INSERT INTO notification_ledgers (" + ledgerColumns + ") SELECT " + ledgerColumns + " FROM " + oldLedger}
		if d == Postgres {
			// The rows keep their ids (notices name them): new ones
			// continue after the highest.
			steps = append(steps, `SELECT setval(pg_get_serial_sequence('notification_ledgers', 'id'),
				GREATEST((SELECT MAX(id) FROM notification_ledgers), 1))`)
		}
		if err := q.exec(append(steps, "DROP TABLE "+oldLedger)...); err != nil {
			return err
		}
	}
	if ok, err := q.hasTable(keptNotices); err != nil {
		return err
	} else if ok {
		err := q.exec("INSERT INTO notifications (ledger_id, user_id, created_at, read_at) SELECT ledger_id, user_id, created_at, read_at FROM "+keptNotices,
			"DROP TABLE "+keptNotices)
		if err != nil {
			return err
		}
	}
	if ok, err := q.hasTable(oldNotices); err != nil || !ok {
		return err
	}
	return moveOldNotices(q)
}

// moveOldNotices gives the console notices of the first schema to their
// ledger rows, keeping whether they were read, and drops the old table.
//
// A notice decided with its row was written with the same time, which
// pairs the two exactly. The other notices (delivered after their row was
// decided) go to the delivered console rows of the same secret, expiry,
// event and user that have no notice yet; a row that several of them could
// be (they differ by threshold only) counts as read only if all of them
// were. Pending rows get their notice when they are delivered. Notices
// whose row is gone (their secret was renewed or deleted) go too: there is
// nothing left to do about them.
func moveOldNotices(q inspector) error {
	sameKey := `l.secret_id = o.secret_id AND l.expires_at = o.expires_at AND l.event = o.event
		AND l.recipient = o.user_id AND l.channel = '` + channelUI + `' AND l.status = '` + ledgerSent + `'`
	return q.exec(`INSERT INTO notifications (ledger_id, user_id, created_at, read_at)
		SELECT l.id, o.user_id, o.created_at, o.read_at FROM `+oldNotices+` AS o
		JOIN notification_ledgers AS l ON `+sameKey+` AND l.created_at = o.created_at
		WHERE true
		ON CONFLICT DO NOTHING`,
		`INSERT INTO notifications (ledger_id, user_id, created_at, read_at)
		SELECT l.id, l.recipient, MIN(o.created_at), CASE WHEN COUNT(o.read_at) = COUNT(*) THEN MAX(o.read_at) END
		FROM `+oldNotices+` AS o
		JOIN notification_ledgers AS l ON `+sameKey+`
		WHERE NOT EXISTS (SELECT 1 FROM notifications AS n WHERE n.ledger_id = l.id)
			AND NOT EXISTS (SELECT 1 FROM notification_ledgers AS p WHERE p.secret_id = o.secret_id
				AND p.expires_at = o.expires_at AND p.event = o.event AND p.recipient = o.user_id
				AND p.channel = '`+channelUI+`' AND p.status = '`+ledgerSent+`' AND p.created_at = o.created_at)
		GROUP BY l.id, l.recipient
		ON CONFLICT DO NOTHING`,
		"DROP TABLE "+oldNotices)
}

// inspector runs a migration's statements and reads the schema it finds,
// in the dialect's catalogue.
type inspector struct {
	ctx context.Context
	tx  *sql.Tx
	d   Dialect
}

// bind turns ? placeholders into PostgreSQL's $1, $2, ...
func (q inspector) bind(query string) string {
	if q.d != Postgres {
		return query
	}
	for i := 1; strings.Contains(query, "?"); i++ {
		query = strings.Replace(query, "?", "$"+strconv.Itoa(i), 1)
	}
	return query
}

func (q inspector) exec(stmts ...string) error {
	for _, s := range stmts {
		if _, err := q.tx.ExecContext(q.ctx, s); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(strings.Fields(s), " "), err)
		}
	}
	return nil
}

// count runs a query of one count; ? stands for each argument.
func (q inspector) count(query string, args ...any) (bool, error) {
	if q.d == Postgres {
		for i := range args {
			query = strings.Replace(query, "?", "$"+strconv.Itoa(i+1), 1)
		}
	}
	var n int
	err := q.tx.QueryRowContext(q.ctx, query, args...).Scan(&n)
	return n > 0, err
}

func (q inspector) hasTable(table string) (bool, error) {
	if q.d == Postgres {
		return q.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", table)
	}
	return q.count("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table)
}

func (q inspector) hasColumn(table, column string) (bool, error) {
	if q.d == Postgres {
		return q.count(`SELECT COUNT(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?`, table, column)
	}
	return q.count("SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?", table, column)
}

// firstIndexColumn returns the first column of an index, or "" when there
// is no such index.
func (q inspector) firstIndexColumn(index string) (string, error) {
	query := "SELECT name FROM pragma_index_info(?) WHERE seqno = 0"
	if q.d == Postgres {
		query = `SELECT a.attname FROM pg_index i
			JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
			WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`
	}
	var col string
	err := q.tx.QueryRowContext(q.ctx, query, index).Scan(&col)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return col, err
}
