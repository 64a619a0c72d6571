package ledger

import (
	"context"
	"testing"
	"time"

	"latchkey/internal/testdb"
	"latchkey/models"
)

// openTestStore opens a fresh database (a SQLite file in a temporary folder,
// or a PostgreSQL schema when LATCHKEY_TEST_DSN is set) and returns it with
// its ledger.
func openTestStore(t testing.TB) (*models.Store, *Ledger) {
	t.Helper()
	s, err := models.Open(context.Background(), testdb.DSN(t), nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, New(s)
}

// newExpiringApp creates an application named "App" whose first secret
// expires at exp.
func newExpiringApp(t testing.TB, s *models.Store, exp time.Time) (*models.Application, *models.NewSecret, time.Time) {
	t.Helper()
	a, first := newTestApp(t, s, "App")
	if err := s.SetSecretExpiry(context.Background(), first.ID, &exp); err != nil {
		t.Fatal(err)
	}
	return a, first, exp
}

// newTestApp creates a domain and an application (with its Default secret).
func newTestApp(t testing.TB, s *models.Store, name string) (*models.Application, *models.NewSecret) {
	t.Helper()
	ctx := context.Background()
	d, err := s.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Domain of " + name, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	a, first, err := s.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: name, Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	return a, first
}

// newTestUser creates a viewer whose name is their e-mail address.
func newTestUser(t testing.TB, s *models.Store, email string) *models.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), models.Actor{}, models.NewUser{Email: email, Name: email, Password: "a-long-password-123", Role: models.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// decideNotices decides one page of client-secret entries in a
// transaction of its own: a Decider used once.
func (l *Ledger) decideNotices(ctx context.Context, entries []LedgerEntry, claim string, leaseUntil time.Time, onDecided func(i int, id uint64)) error {
	d := l.NewDecider(ctx, claim, leaseUntil, DeciderHooks{})
	defer d.Close()
	if err := d.Decide(models.KindClientSecret, entries, onDecided); err != nil {
		return err
	}
	return d.Commit()
}
