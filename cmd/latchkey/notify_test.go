package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/notify"
)

// seedExpiring creates, in ./data/latchkey.db, a domain owned by Alice with
// an application whose secret expires in two days.
func seedExpiring(t *testing.T) (*models.Store, *models.User) {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, "data/latchkey.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	u, err := store.CreateUser(ctx, models.Actor{}, models.NewUser{Email: "alice@example.com", Name: "Alice", Password: "a-long-password-123", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Payments", Enabled: true, OwnerIDs: []string{u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	_, first, err := store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(2 * 24 * time.Hour)
	if err := store.SetSecretExpiry(ctx, first.ID, &at); err != nil {
		t.Fatal(err)
	}
	return store, u
}

func TestNotifyDryRunThenRun(t *testing.T) {
	inTempDir(t)
	store, alice := seedExpiring(t)
	ctx := context.Background()

	var out, errs bytes.Buffer
	if err := run(ctx, []string{"notify", "--dry-run"}, nil, &out, &errs); err != nil {
		t.Fatalf("notify --dry-run: %v\n%s", err, errs.String())
	}
	for _, want := range []string{"EVENT", "will expire (5d)", "ui", "Alice <alice@example.com>", "Payments", "Billing API", "Default", "log",
		"2 notices would be sent (0 of them retries), on ui, log.", "Next scheduled run:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}
	if n, _ := store.UnreadNotificationCount(ctx, alice.ID); n != 0 {
		t.Fatalf("the dry run delivered %d notices", n)
	}

	out.Reset()
	if err := run(ctx, []string{"notify"}, nil, &out, &errs); err != nil {
		t.Fatalf("notify: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "Scanned 1 due secrets: 2 notices decided, 2 sent, 0 failed") {
		t.Errorf("run output:\n%s", out.String())
	}
	if n, _ := store.UnreadNotificationCount(ctx, alice.ID); n != 1 {
		t.Errorf("alice has %d unread notices, want 1", n)
	}
	if !strings.Contains(errs.String(), "expires in 1 day") && !strings.Contains(errs.String(), "expires in 2 days") {
		t.Errorf("the log channel wrote nothing:\n%s", errs.String())
	}

	out.Reset()
	if err := run(ctx, []string{"notify", "--dry-run"}, nil, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Nothing to send") {
		t.Errorf("second dry run:\n%s", out.String())
	}
}

func TestNotifyRefusesWhenSwitchedOff(t *testing.T) {
	inTempDir(t)
	seedExpiring(t)
	t.Setenv("LATCHKEY_SERVICES_NOTIFIER_ENABLED", "false")
	var out bytes.Buffer
	err := run(context.Background(), []string{"notify"}, nil, &out, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "switched off") {
		t.Fatalf("err = %v, want the notifier reported off", err)
	}
	if err := run(context.Background(), []string{"notify", "--dry-run"}, nil, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "switched off") || !strings.Contains(out.String(), "will expire (5d)") {
		t.Errorf("dry run with the notifier off:\n%s", out.String())
	}
}

func TestNotifyRejectsAnInvalidSchedule(t *testing.T) {
	inTempDir(t)
	t.Setenv("LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION", "0 0 25 * * *")
	err := run(context.Background(), []string{"serve"}, nil, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "services.notifier.client-secret.cronExpression") {
		t.Fatalf("err = %v, want one naming the key", err)
	}
}

// serveFor runs `latchkey serve` until the condition holds or the time is
// up, then stops it and returns its log.
func serveFor(t *testing.T, d time.Duration, done func() bool) string {
	t.Helper()
	t.Setenv("LATCHKEY_SERVER_CONSOLE_ADDR", "127.0.0.1:0")
	t.Setenv("LATCHKEY_SERVER_GATEWAY_ENABLED", "false")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &testdb.LogBuffer{}
	stopped := make(chan error, 1)
	go func() { stopped <- run(ctx, []string{"serve"}, nil, &bytes.Buffer{}, logs) }()
	for deadline := time.Now().Add(d); time.Now().Before(deadline) && !done(); {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	return logs.String()
}

func TestServeRunsTheNotifierOnItsSchedule(t *testing.T) {
	inTempDir(t)
	store, alice := seedExpiring(t)
	t.Setenv("LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION", "* * * * * *") // every second
	unread := func() int64 {
		n, _ := store.UnreadNotificationCount(context.Background(), alice.ID)
		return n
	}
	logs := serveFor(t, 15*time.Second, func() bool { return unread() > 0 })
	if unread() != 1 {
		t.Fatalf("alice has %d notices after serving, want 1; log:\n%s", unread(), logs)
	}
	if !strings.Contains(logs, "notifier started") || !strings.Contains(logs, "msg=stopped") {
		t.Errorf("log:\n%s", logs)
	}
}

func TestServeWithTheNotifierSwitchedOff(t *testing.T) {
	for _, key := range []string{"LATCHKEY_SERVICES_NOTIFIER_ENABLED", "LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_ENABLED"} {
		t.Run(key, func(t *testing.T) {
			inTempDir(t)
			store, alice := seedExpiring(t)
			t.Setenv("LATCHKEY_SERVICES_NOTIFIER_CLIENT_SECRET_CRONEXPRESSION", "* * * * * *")
			t.Setenv(key, "false")
			if key != "LATCHKEY_SERVICES_NOTIFIER_ENABLED" {
				// The other sources switched off too: otherwise the
				// notifier runs for them.
				t.Setenv("LATCHKEY_SERVICES_NOTIFIER_CERTIFICATE_ENABLED", "false")
				t.Setenv("LATCHKEY_SERVICES_NOTIFIER_CLIENT_CERTIFICATE_ENABLED", "false")
			}
			logs := serveFor(t, 2500*time.Millisecond, func() bool { return false })
			if n, _ := store.UnreadNotificationCount(context.Background(), alice.ID); n != 0 {
				t.Errorf("the switched-off notifier sent %d notices", n)
			}
			if !strings.Contains(logs, "notifier disabled") || strings.Contains(logs, "notifier started") {
				t.Errorf("log:\n%s", logs)
			}
		})
	}
}

// The dry run's table names its column for what it lists: secrets and
// certificates (issue 18), each row under CREDENTIAL.
func TestDryRunTableNamesCredentials(t *testing.T) {
	var out bytes.Buffer
	exp := time.Date(2027, 1, 2, 3, 4, 0, 0, time.UTC)
	printPlan(&out, []notify.Planned{
		{Source: "client-secret", Event: "CLIENT_SECRET_WILL_EXPIRE", Threshold: 5, Channel: "ui", Recipient: "Alice <alice@example.com>",
			Domain: "Payments", Application: "Billing API", Secret: "Default", ExpiresAt: exp},
		{Source: "certificate", Event: "CERTIFICATE_EXPIRED", Channel: "log", Recipient: "log", Domain: "Payments", Secret: "partner", ExpiresAt: exp},
	}, []string{"ui", "log"})
	lines := strings.Split(out.String(), "\n")
	header := strings.Fields(lines[0])
	if !slices.Contains(header, "CREDENTIAL") || slices.Contains(header, "SECRET") {
		t.Fatalf("header = %q, want CREDENTIAL and no SECRET", lines[0])
	}
	col := strings.Index(lines[0], "CREDENTIAL")
	for i, want := range []string{"Default", "partner"} {
		if got := strings.Fields(lines[1+i][col:])[0]; got != want {
			t.Errorf("row %d under CREDENTIAL reads %q, want %q", i+1, got, want)
		}
	}
}
