// Package migrations holds Latchkey's numbered schema migrations, embedded
// in the binary: SQL per dialect in sqlite/ and postgres/ (NNNNN_name.sql),
// and Go migrations for upgrades SQL cannot express (legacy.go). They run
// with goose's Provider, one process at a time (lock.go). It imports only
// the standard library and goose: a migration must never change when the
// models change, so it does not use them.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialect names the database a migration set is written for.
type Dialect string

// The dialects Latchkey runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Runner applies and reports the migrations on one database.
type Runner struct {
	p *goose.Provider
}

// New prepares the migrations of dialect on db. For SQLite, file is the
// database file: a lock file beside it makes processes sharing it migrate
// in turn ("" for an in-memory database, which no other process sees). A
// nil log discards goose's messages. kek is the key-encryption key that
// upgrades sealing keys stored in the clear need (ErrNoKEK without it when
// there are such keys).
func New(db *sql.DB, dialect Dialect, file string, log *slog.Logger, kek []byte) (*Runner, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	sub, err := fs.Sub(files, string(dialect))
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithGoMigrations(goMigrations(dialect, kek)...),
		goose.WithSlog(log),
	}
	var gd goose.Dialect
	switch dialect {
	case Postgres:
		gd = goose.DialectPostgres
		opts = append(opts, goose.WithSessionLocker(advisoryLocker{}))
	case SQLite:
		gd = goose.DialectSQLite3
		if file != "" {
			opts = append(opts, goose.WithLocker(newFileLocker(file+".migrate-lock")))
		}
	default:
		return nil, fmt.Errorf("migrations: unknown dialect %q", dialect)
	}
	p, err := goose.NewProvider(gd, db, sub, opts...)
	if err != nil {
		return nil, err
	}
	return &Runner{p: p}, nil
}

// Applied is one migration that Up applied.
type Applied struct {
	Version  int64
	Name     string
	Duration time.Duration
}

// Up applies every pending migration, in order, under the lock; each runs
// in its own transaction.
func (r *Runner) Up(ctx context.Context) ([]Applied, error) {
	res, err := r.p.Up(ctx)
	var out []Applied
	for _, m := range res {
		out = append(out, Applied{Version: m.Source.Version, Name: name(m.Source.Path), Duration: m.Duration})
	}
	return out, err
}

// Status is the state of one migration.
type Status struct {
	Version int64
	Name    string
	// AppliedAt is when it was applied; zero while it is pending.
	AppliedAt time.Time
}

// Status lists every migration, applied or pending, by version.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	st, err := r.p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		e := Status{Version: s.Source.Version, Name: name(s.Source.Path)}
		if s.State == goose.StateApplied {
			e.AppliedAt = s.AppliedAt
		}
		out = append(out, e)
	}
	return out, nil
}

// name is a migration's name: its file name without the version and the
// extension ("00002_schema.sql" → "schema").
func name(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if _, rest, ok := strings.Cut(base, "_"); ok {
		return rest
	}
	return base
}
