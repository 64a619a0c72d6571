package models

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// Several nodes starting at once on one database all migrate without error
// (PostgreSQL: the advisory lock; SQLite: the busy timeout).
func TestConcurrentOpenMigrates(t *testing.T) {
	dsn := testdb.DSN(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), dsn, nil, WithKeyEncryptionKey(testdb.KEK()), WithPool(Pool{MaxOpenConns: 4, StatementTimeout: 5 * time.Second}))
			if err != nil {
				errs <- err
				return
			}
			_, err = s.CountUsers(context.Background())
			errs <- err
			_ = s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestWithStatementTimeout(t *testing.T) {
	got := withStatementTimeout("postgres://u:p@h/db?sslmode=disable", 2500*time.Millisecond)
	if !strings.Contains(got, "statement_timeout=2500") || !strings.Contains(got, "sslmode=disable") {
		t.Fatalf("got %s", got)
	}
	if got := withStatementTimeout("postgres://h/db?statement_timeout=1", time.Second); !strings.Contains(got, "statement_timeout=1") || strings.Contains(got, "1000") {
		t.Fatalf("an explicit timeout was replaced: %s", got)
	}
}

// Nodes starting together with the same bootstrap administrator create it
// once, and none of them fails.
func TestConcurrentBootstrapAdmin(t *testing.T) {
	dsn := testdb.DSN(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	stores := make([]*Store, 4)
	for i := range stores {
		s, err := Open(context.Background(), dsn, nil, WithKeyEncryptionKey(testdb.KEK()))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.BootstrapAdmin(context.Background(), NewUser{Email: "root@example.com", Name: "Root", Password: "a long bootstrap pw"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := stores[0].CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users", n)
	}
}
