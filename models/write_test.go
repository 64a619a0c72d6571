package models

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, ""},
		{"plain", errors.New("boom"), ""},
		{"not found", ErrNotFound, CodeNotFound},
		{"wrapped not found", fmt.Errorf("load: %w", ErrNotFound), CodeNotFound},
		{"setup done", ErrSetupDone, CodeNotFound},
		{"setup token", ErrInvalidSetupToken, CodeNotFound},
		{"API token", ErrInvalidToken, CodeForbidden},
		{"field errors", fmt.Errorf("save: %w", FieldErrors{"name": "Name is required."}), CodeInvalid},
		{"limit", &LimitError{Max: 3}, CodeLimit},
		{"last secret", ErrLastSecret, CodeLimit},
		{"duplicate", duplicateDescription("x", "x"), CodeConflict},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), CodeUnavailable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, CodeUnavailable},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, CodeUnavailable},
		{"connection exception", &pgconn.PgError{Code: "08006"}, CodeUnavailable},
		{"unique violation is no outage", &pgconn.PgError{Code: "23505"}, ""},
		{"sqlite busy", sqlite3.Error{Code: sqlite3.ErrBusy}, CodeUnavailable},
		{"sqlite constraint is no outage", sqlite3.Error{Code: sqlite3.ErrConstraint}, ""},
		{"cancelled is no outage", context.Canceled, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestRuleErrorWording(t *testing.T) {
	_, err := cleanSecretDescription("  ")
	if got := ConsoleText(err); got != "Description is required." {
		t.Errorf("console text = %q", got)
	}
	if got := APIText(err); got != "Name is required." {
		t.Errorf("API text = %q", got)
	}
	if got := ConsoleText(ErrLastSecret); got != "Cannot remove the last secret: an application needs at least one. Create another secret first." {
		t.Errorf("last secret console text = %q", got)
	}
	if got := APIText(ErrLastSecret); got != "Cannot remove last secret" {
		t.Errorf("last secret API text = %q", got)
	}
	limit := &LimitError{Max: 2}
	if ConsoleText(limit) != "Too many Client Secrets. Cannot create more than 2 secrets." || APIText(limit) != "Too many Client Secrets. Cannot create more than 2 secrets" {
		t.Errorf("limit texts = %q / %q", ConsoleText(limit), APIText(limit))
	}
	if got := APIText(FieldErrors{"b": "B is wrong.", "a": "A is wrong."}); got != "A is wrong. B is wrong." {
		t.Errorf("field errors API text = %q", got)
	}
}

// events returns the stored audit events of one type.
func events(t *testing.T, s *Store, typ string) []AuditEvent {
	t.Helper()
	p, err := s.AuditEvents(context.Background(), AuditFilter{Type: typ, PerPage: 500})
	if err != nil {
		t.Fatal(err)
	}
	return p.Events
}

var testActor = Actor{UserID: "u-1", Email: "ada@example.com", ClientIP: "192.0.2.1"}

func TestWriteRecordsItsEvent(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	ns, err := s.CreateSecret(ctx, testActor, a.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	evs := events(t, s, EventSecretCreated)
	if len(evs) != 1 {
		t.Fatalf("%d create events, want 1: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.TargetID != ns.ID || ev.TargetName != "ci" || ev.ApplicationID != a.ID || ev.DomainID != a.DomainID ||
		ev.ActorID != testActor.UserID || ev.ActorEmail != testActor.Email || ev.ClientIP != testActor.ClientIP || ev.Outcome != OutcomeSuccess {
		t.Errorf("event = %+v", ev)
	}
}

func TestWriteCancelledBeforeStartChangesNothing(t *testing.T) {
	s, _, _ := openTestStore(t)
	a, _ := newTestApp(t, s, "app")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CreateSecret(ctx, testActor, a.ID, "late"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	ss, _ := s.Secrets(context.Background(), a.ID)
	if len(ss) != 1 {
		t.Errorf("%d secrets after a cancelled create, want only the first", len(ss))
	}
	if evs := events(t, s, EventSecretCreated); len(evs) != 0 {
		t.Errorf("a cancelled create was audited: %+v", evs)
	}
}

func TestWriteOutlivesItsRequest(t *testing.T) {
	s, _, _ := openTestStore(t)
	a, _ := newTestApp(t, s, "app")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The client goes away while the secret is being inserted.
	err := s.db.Callback().Create().Before("gorm:create").Register("test:cancel", func(db *gorm.DB) {
		if db.Statement.Table == "client_secrets" {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.CreateSecret(ctx, testActor, a.ID, "kept")
	if err != nil {
		t.Fatalf("a write whose request was cancelled midway failed: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the request was never cancelled: the test tests nothing")
	}
	if _, err := s.SecretByID(context.Background(), a.ID, ns.ID); err != nil {
		t.Errorf("secret not committed: %v", err)
	}
	if evs := events(t, s, EventSecretCreated); len(evs) != 1 || evs[0].TargetID != ns.ID {
		t.Errorf("events = %+v, want the secret's", evs)
	}
}

func TestChangeAndEventCommitTogether(t *testing.T) {
	s, _, _ := openTestStore(t)
	a, _ := newTestApp(t, s, "app")
	boom := errors.New("audit insert refused")
	err := s.db.Callback().Create().Before("gorm:create").Register("test:refuse-audit", func(db *gorm.DB) {
		if db.Statement.Table == "audit_events" {
			_ = db.AddError(boom)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSecret(context.Background(), testActor, a.ID, "lost"); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the audit insert's", err)
	}
	ss, _ := s.Secrets(context.Background(), a.ID)
	if len(ss) != 1 {
		t.Errorf("the secret was committed without its event: %+v", ss)
	}
}

func TestRefusalsAreRecorded(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "app")
	api := testActor
	api.TokenID = "t-1"
	s.SecretsMax = 1
	if _, err := s.CreateSecret(ctx, testActor, a.ID, "over"); ErrorCode(err) != CodeLimit {
		t.Fatalf("err = %v, want the limit", err)
	}
	if _, err := s.CreateSecret(ctx, api, a.ID, "over"); ErrorCode(err) != CodeLimit {
		t.Fatalf("err = %v, want the limit", err)
	}
	if _, err := s.DeleteSecret(ctx, api, a.ID, first.ID, nil); !errors.Is(err, ErrLastSecret) {
		t.Fatalf("err = %v, want ErrLastSecret", err)
	}
	wrong := "nope"
	if _, err := s.DeleteSecret(ctx, testActor, a.ID, first.ID, &wrong); ErrorCode(err) != CodeInvalid {
		t.Fatalf("err = %v, want a refused confirmation", err)
	}
	// A secret that does not exist refuses nothing: no event.
	if _, err := s.DeleteSecret(ctx, testActor, a.ID, "missing", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}

	creates := events(t, s, EventSecretCreated)
	if len(creates) != 2 {
		t.Fatalf("%d create events, want 2 refusals: %+v", len(creates), creates)
	}
	details := map[string]bool{}
	for _, ev := range creates {
		if ev.Outcome != OutcomeFailure || ev.TargetName != "over" || ev.TargetID != "" || ev.ActorID != testActor.UserID || ev.ApplicationID != a.ID {
			t.Errorf("refused create event = %+v", ev)
		}
		details[ev.Detail] = true
	}
	// The console's wording for the console, Gravitee's for the API.
	if !details["Too many Client Secrets. Cannot create more than 1 secrets."] || !details["Too many Client Secrets. Cannot create more than 1 secrets"] {
		t.Errorf("refused create details = %v", details)
	}
	deletes := events(t, s, EventSecretDeleted)
	if len(deletes) != 2 {
		t.Fatalf("%d delete events, want 2 refusals: %+v", len(deletes), deletes)
	}
	details = map[string]bool{}
	for _, ev := range deletes {
		if ev.Outcome != OutcomeFailure || ev.TargetID != first.ID || ev.TargetName != DefaultSecretName {
			t.Errorf("refused delete event = %+v", ev)
		}
		details[ev.Detail] = true
	}
	if !details["Cannot remove last secret"] || !details["Type the secret's description exactly to confirm."] {
		t.Errorf("refused delete details = %v", details)
	}
}
