package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gofrs/flock"
	"github.com/pressly/goose/v3/lock"
)

// advisoryLockID is the PostgreSQL advisory lock that serialises
// migrations when several nodes start at once (Latchkey's before goose).
const advisoryLockID = 7_364_502_113

// advisoryLocker holds PostgreSQL's session advisory lock on the
// connection goose runs the migrations on. Unlike goose's own session
// locker, which polls every few seconds, it waits in pg_advisory_lock, so
// a node starts as soon as the one before it has migrated.
type advisoryLocker struct{}

var _ lock.SessionLocker = advisoryLocker{}

// SessionLock takes the lock. database.statementTimeout bounds queries,
// not waiting for another node or building an index over a large table:
// the session lifts it until SessionUnlock.
func (advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SET statement_timeout = 0"); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(advisoryLockID)); err != nil {
		return fmt.Errorf("wait for the migration lock: %w", err)
	}
	return nil
}

// SessionUnlock releases the lock and restores the connection's
// statement timeout.
func (advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", int64(advisoryLockID)); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, "RESET statement_timeout")
	return err
}

// fileLocker makes processes sharing a SQLite file migrate in turn: each
// migration is its own transaction, so SQLite's write lock alone would let
// two processes both find a migration pending. It locks a file beside the
// database (flock: released by the system if the process dies).
type fileLocker struct {
	f *flock.Flock
}

var _ lock.Locker = (*fileLocker)(nil)

func newFileLocker(path string) *fileLocker { return &fileLocker{f: flock.New(path)} }

// Lock waits for the file lock, or for ctx.
func (l *fileLocker) Lock(ctx context.Context, _ *sql.DB) error {
	ok, err := l.f.TryLockContext(ctx, 10*time.Millisecond)
	if err != nil {
		return fmt.Errorf("wait for the migration lock %s: %w", l.f.Path(), err)
	}
	if !ok {
		return fmt.Errorf("wait for the migration lock %s: %w", l.f.Path(), ctx.Err())
	}
	return nil
}

// Unlock releases the file lock.
func (l *fileLocker) Unlock(context.Context, *sql.DB) error { return l.f.Unlock() }
