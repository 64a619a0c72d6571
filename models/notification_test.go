package models

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// DeliverNotifications stores the notices of pending console rows (left
// by an older version, which decided them pending) once.
func TestDeliverNotifications(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ann@example.com")
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	row := NotificationLedger{SecretID: first.ID, ExpiresAt: exp, Event: NoticeExpired, Recipient: u.ID, Channel: ChannelUI,
		Status: LedgerPending, Claim: "run", LeaseUntil: exp.Add(time.Hour), CreatedAt: exp}
	if err := s.db.Create(&row).Error; err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeliverNotifications(ctx, "other", []uint64{row.ID}); err != nil || len(got) != 0 {
		t.Fatalf("delivery by another claim = %v, %v; want none", got, err)
	}
	if got, err := s.DeliverNotifications(ctx, "run", []uint64{row.ID}); err != nil || len(got) != 1 {
		t.Fatalf("delivered %v, %v", got, err)
	}
	if got, err := s.DeliverNotifications(ctx, "run", []uint64{row.ID}); err != nil || len(got) != 0 {
		t.Fatalf("second delivery = %v, %v; want none", got, err)
	}
	if n, err := s.UnreadNotificationCount(ctx, u.ID); err != nil || n != 1 {
		t.Errorf("notices = %d, %v; want 1", n, err)
	}
	if rows, _ := s.LedgerRows(ctx, first.ID); len(rows) != 1 || rows[0].Status != LedgerSent {
		t.Errorf("rows = %+v", rows)
	}
}

func TestDueSecretsPaging(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "App")
	s.SecretsMax = 100
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []string{}
	// 25 secrets, in ties of five on the same instant, and one never
	// expiring, one beyond the horizon.
	if err := s.SetSecretExpiry(ctx, first.ID, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		ns, err := s.CreateSecret(ctx, Actor{}, a.ID, fmt.Sprint("s", i))
		if err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i/5) * time.Hour)
		if err := s.SetSecretExpiry(ctx, ns.ID, &at); err != nil {
			t.Fatal(err)
		}
		want = append(want, ns.ID)
	}
	late, _ := s.CreateSecret(ctx, Actor{}, a.ID, "late")
	at := base.Add(100 * time.Hour)
	_ = s.SetSecretExpiry(ctx, late.ID, &at)

	var got []string
	var cursor *DueCursor
	pages := 0
	for {
		page, err := s.DueSecrets(ctx, base.Add(10*time.Hour), cursor, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages++
		for _, d := range page {
			got = append(got, d.ID)
			if d.ApplicationName != "App" || d.DomainName != "Domain of App" || d.DomainHRID == "" || d.ClientID == "" {
				t.Fatalf("due secret lacks names: %+v", d)
			}
		}
		last := page[len(page)-1]
		cursor = &DueCursor{ExpiresAt: last.ExpiresAt, ID: last.ID}
	}
	if len(got) != 25 || pages != 7 {
		t.Fatalf("paged %d secrets in %d pages, want 25 in 7", len(got), pages)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("secret %s returned twice", id)
		}
		seen[id] = true
	}
	// Once "expired" is decided for a secret's expiry, the scan skips it.
	s.insertLedgerRow(t, want[0], base, NoticeExpired, LogRecipient, ChannelLog)
	page, err := s.DueSecrets(ctx, base.Add(10*time.Hour), nil, 100)
	if err != nil || len(page) != 24 {
		t.Fatalf("after the expired decision: %d due, %v; want 24", len(page), err)
	}
}

// The scan's query walks the expires_at index instead of reading the table.
func TestDueSecretsUsesIndex(t *testing.T) {
	s, _, _ := openTestStore(t)
	if s.db.Dialector.Name() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	var plan []struct {
		ID, Parent, Notused int
		Detail              string
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	query := s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
		return dueQuery(tx, at, &DueCursor{ExpiresAt: at, ID: "x"}, 1000).Scan(&[]Subject{})
	})
	if err := s.db.Raw("EXPLAIN QUERY PLAN " + query).Scan(&plan).Error; err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
	}
	text := strings.Join(details, "\n")
	t.Log(text)
	if !strings.Contains(text, "idx_client_secrets_expiry") || strings.Contains(text, "TEMP B-TREE") {
		t.Errorf("query plan does not walk idx_client_secrets_expiry in order:\n%s", text)
	}
}

func TestDomainSecretsExpiring(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	a, first := newTestApp(t, s, "App")
	set := func(id string, d time.Duration) {
		at := now.Add(d)
		if err := s.SetSecretExpiry(ctx, id, &at); err != nil {
			t.Fatal(err)
		}
	}
	set(first.ID, 40*24*time.Hour)
	soon, _ := s.CreateSecret(ctx, Actor{}, a.ID, "soon")
	set(soon.ID, 3*24*time.Hour)
	gone, _ := s.CreateSecret(ctx, Actor{}, a.ID, "gone")
	set(gone.ID, -time.Hour)
	never, _ := s.CreateSecret(ctx, Actor{}, a.ID, "never")
	if err := s.SetSecretExpiry(ctx, never.ID, nil); err != nil {
		t.Fatal(err)
	}
	expiring := func(limit int) ([]ExpiringSecret, int64, error) {
		o, err := s.DomainExpiryOverview(ctx, a.DomainID, 30*24*time.Hour, limit)
		if err != nil {
			return nil, 0, err
		}
		return o.Expiring, o.Total, nil
	}
	list, total, err := expiring(10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(list) != 2 || list[0].Description != "gone" || list[1].Description != "soon" || list[1].ApplicationName != "App" {
		t.Errorf("expiring = %+v (total %d), want gone then soon", list, total)
	}
	if list, total, _ := expiring(1); len(list) != 1 || total != 2 {
		t.Errorf("limited list = %d of %d, want 1 of 2", len(list), total)
	}
}
