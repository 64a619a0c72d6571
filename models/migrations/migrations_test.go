package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// Both dialects have the same migrations: the same versions with the same
// names, so a database's version means the same schema on either.
func TestDialectsHaveTheSameMigrations(t *testing.T) {
	names := func(d Dialect) []string {
		m, err := fs.Glob(files, string(d)+"/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for i := range m {
			m[i] = filepath.Base(m[i])
		}
		return m
	}
	lite, pg := names(SQLite), names(Postgres)
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("sqlite has %v, postgres %v", lite, pg)
	}
}

// The Go migrations fit between the SQL files, and Status names every
// migration as pending on a new database and as applied after Up; a second
// Up applies nothing.
func TestUpThenStatus(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.db")
	db, err := sql.Open("sqlite3", "file:"+file+"?_foreign_keys=on&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := New(db, SQLite, file, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := r.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"set_aside_first_schema", "schema", "move_first_schema_rows"}
	if len(st) < len(want) {
		t.Fatalf("status = %+v", st)
	}
	for i, w := range want {
		if st[i].Version != int64(i+1) || st[i].Name != w || !st[i].AppliedAt.IsZero() {
			t.Errorf("migration %d = %+v, want %05d %s pending", i, st[i], i+1, w)
		}
	}
	applied, err := r.Up(ctx)
	if err != nil || len(applied) != len(st) {
		t.Fatalf("up applied %+v, %v; want %d", applied, err, len(st))
	}
	if st, err = r.Status(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range st {
		if s.AppliedAt.IsZero() {
			t.Errorf("%05d %s still pending after Up", s.Version, s.Name)
		}
	}
	if again, err := r.Up(ctx); err != nil || len(again) != 0 {
		t.Errorf("a second up applied %+v, %v", again, err)
	}
}

// A process holding the lock file keeps others from migrating until it
// lets go.
func TestFileLockWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db.migrate-lock")
	a, b := newFileLocker(path), newFileLocker(path)
	ctx := context.Background()
	if err := a.Lock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.f.TryLock(); err != nil || ok {
		t.Fatalf("a second locker took the held lock: %v, %v", ok, err)
	}
	if err := a.Unlock(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Lock(ctx, nil); err != nil {
		t.Fatalf("after unlocking: %v", err)
	}
	_ = b.Unlock(ctx, nil)
}
