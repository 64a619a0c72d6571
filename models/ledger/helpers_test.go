package ledger

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

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

// forgetNotices does in tx what renewing a secret does first (models'
// resetNotices): on PostgreSQL it locks the secret's row, then it deletes
// the ledger rows of its expiry.
func forgetNotices(tx *gorm.DB, secretID string) error {
	if tx.Dialector.Name() == "postgres" {
		var id string
		err := tx.Raw("SELECT id FROM client_secrets WHERE id = ? FOR UPDATE", secretID).Row().Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return tx.Exec(`DELETE FROM notification_ledgers WHERE (expires_at, secret_id) IN
		(SELECT expires_at, id FROM client_secrets WHERE id = ? AND expires_at IS NOT NULL) AND secret_id IS NOT NULL`, secretID).Error
}
