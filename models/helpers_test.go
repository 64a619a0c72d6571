package models

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// openTestStore opens a fresh database (a SQLite file in a temporary folder,
// or a PostgreSQL schema when LATCHKEY_TEST_DSN is set) and returns it with
// its DSN and the captured GORM log.
func openTestStore(t testing.TB) (*Store, string, *testdb.LogBuffer) {
	t.Helper()
	path := testdb.DSN(t)
	logs := &testdb.LogBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(context.Background(), path, log, WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path, logs
}

// newTestDomain creates an enabled domain named name.
func newTestDomain(t testing.TB, s *Store, name string) *Domain {
	t.Helper()
	d, err := s.CreateDomain(context.Background(), Actor{}, DomainInput{Name: name, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newTestApp creates a domain and an application (with its Default secret).
// newExpiringApp creates an application named "App" whose first secret
// expires at exp.
func newExpiringApp(t testing.TB, s *Store, exp time.Time) (*Application, *NewSecret, time.Time) {
	t.Helper()
	a, first := newTestApp(t, s, "App")
	if err := s.SetSecretExpiry(context.Background(), first.ID, &exp); err != nil {
		t.Fatal(err)
	}
	return a, first, exp
}

func newTestApp(t testing.TB, s *Store, name string) (*Application, *NewSecret) {
	t.Helper()
	ctx := context.Background()
	d, err := s.CreateDomain(ctx, Actor{}, DomainInput{Name: "Domain of " + name, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	a, first, err := s.CreateApplication(ctx, Actor{}, d.ID, ApplicationInput{Name: name, Type: AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	return a, first
}

// newTestUser creates a viewer whose name is their e-mail address.
func newTestUser(t testing.TB, s *Store, email string) *User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), Actor{}, NewUser{Email: email, Name: email, Password: "a-long-password-123", Role: RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// insertLedgerRow stores a ledger row of a client secret as deciding
// would (package models/ledger decides; it cannot be imported here).
func (s *Store) insertLedgerRow(t testing.TB, secretID string, exp time.Time, event, recipient, channel string) {
	t.Helper()
	row := NotificationLedger{Kind: KindClientSecret.Name, SecretID: secretID, ExpiresAt: exp, Event: event, Recipient: recipient,
		Channel: channel, Status: LedgerSent, Claim: "r", LeaseUntil: exp, CreatedAt: exp}
	if err := s.db.Omit("Secret").Create(&row).Error; err != nil {
		t.Fatal(err)
	}
}
