package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

func TestSecretValueFormat(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		v := newSecretValue()
		if len(v) != 53 || !strings.HasPrefix(v, "lks_") {
			t.Fatalf("value %q: want lks_ and 53 characters", v)
		}
		if !LooksLikeSecret(v) {
			t.Fatalf("own value %q not recognised", v)
		}
		if seen[v] {
			t.Fatalf("value repeated: %q", v)
		}
		seen[v] = true
	}
}

func TestLooksLikeSecretRejectsNoise(t *testing.T) {
	v := newSecretValue()
	flip := func(i int) string {
		b := []byte(v)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, s := range map[string]string{
		"empty":            "",
		"prefix only":      "lks_",
		"wrong prefix":     "lkx_" + v[4:],
		"too short":        v[:52],
		"too long":         v + "a",
		"bad character":    v[:10] + "-" + v[11:],
		"random body flip": flip(20),
		"checksum flip":    flip(50),
	} {
		if LooksLikeSecret(s) {
			t.Errorf("%s: %q accepted", name, s)
		}
	}
}

func TestNewApplicationGetsDefaultSecret(t *testing.T) {
	s, _, _ := openTestStore(t)
	a, first := newTestApp(t, s, "billing")
	if first.Description != DefaultSecretName || !LooksLikeSecret(first.Value) {
		t.Fatalf("first secret = %q / %q", first.Description, first.Value)
	}
	list, err := s.Secrets(context.Background(), a.ID)
	if err != nil || len(list) != 1 || list[0].Digest != SecretDigest(first.Value) || list[0].Hint != first.Value[49:] {
		t.Fatalf("stored = %+v, %v", list, err)
	}
}

func TestCreateSecretRules(t *testing.T) {
	tests := []struct {
		name        string
		existing    []string // besides "Default"
		max         int
		description string
		wantErr     string // substring; "" = success
		wantStored  string // the description as stored
	}{
		{name: "ok", max: 10, description: "production", wantStored: "production"},
		{name: "trimmed", max: 10, description: "  staging \t", wantStored: "staging"},
		{name: "64 characters", max: 10, description: strings.Repeat("é", 64), wantStored: strings.Repeat("é", 64)},
		{name: "empty", max: 10, description: "", wantErr: "Description is required."},
		{name: "spaces only", max: 10, description: "   ", wantErr: "Description is required."},
		{name: "65 characters", max: 10, description: strings.Repeat("x", 65), wantErr: "at most 64 characters"},
		{name: "control character", max: 10, description: "a\x00b", wantErr: "control characters"},
		{name: "duplicate", existing: []string{"prod"}, max: 10, description: "prod", wantErr: "Secret with description prod already exists"},
		{name: "duplicate after trim", existing: []string{"prod"}, max: 10, description: " prod ", wantErr: "Secret with description prod already exists"},
		{name: "duplicate of Default", max: 10, description: "Default", wantErr: "already exists"},
		// Issue 18, item 11: descriptions are unique ignoring case.
		{name: "case differs is the same description", existing: []string{"prod"}, max: 10, description: "Prod", wantErr: "Secret with description Prod already exists"},
		{name: "at limit", existing: []string{"a", "b"}, max: 3, description: "c", wantErr: "Too many Client Secrets. Cannot create more than 3 secrets"},
		{name: "limit lowered below count", existing: []string{"a", "b", "c", "d"}, max: 2, description: "e", wantErr: "Cannot create more than 2 secrets"},
		{name: "one below limit", existing: []string{"a"}, max: 3, description: "b", wantStored: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := openTestStore(t)
			ctx := context.Background()
			a, _ := newTestApp(t, s, "app")
			for _, d := range tt.existing {
				if _, err := s.CreateSecret(ctx, Actor{}, a.ID, d); err != nil {
					t.Fatal(err)
				}
			}
			s.SecretsMax = tt.max
			before, _ := s.Secrets(ctx, a.ID)
			ns, err := s.CreateSecret(ctx, Actor{}, a.ID, tt.description)
			after, _ := s.Secrets(ctx, a.ID)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if len(after) != len(before) {
					t.Fatalf("secrets went from %d to %d after a refused create", len(before), len(after))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ns.Description != tt.wantStored || len(after) != len(before)+1 {
				t.Fatalf("stored %q (%d→%d secrets)", ns.Description, len(before), len(after))
			}
		})
	}
}

func TestCreateSecretErrorTypes(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	s.SecretsMax = 1
	_, err := s.CreateSecret(ctx, Actor{}, a.ID, "x")
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Max != 1 {
		t.Fatalf("err = %#v, want *LimitError{1}", err)
	}
	if _, err := s.CreateSecret(ctx, Actor{}, "no-such-app", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown app: err = %v", err)
	}
}

func TestConcurrentCreatesNeverExceedLimit(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	s.SecretsMax = 10
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		created, limited   int
		other              []error
		start              = make(chan struct{})
		names              = 50
		existingBeforeTest = 1 // Default
	)
	for i := 0; i < names; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.CreateSecret(ctx, Actor{}, a.ID, fmt.Sprintf("concurrent-%02d", i))
			mu.Lock()
			defer mu.Unlock()
			var le *LimitError
			switch {
			case err == nil:
				created++
			case errors.As(err, &le):
				limited++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	list, err := s.Secrets(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 10 || created != 10-existingBeforeTest || limited != names-created {
		t.Fatalf("stored %d secrets, %d created, %d refused by the limit", len(list), created, limited)
	}
}

func TestRenewSecret(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "app")
	renewed, err := s.RenewSecret(ctx, Actor{}, a.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.ID != first.ID || renewed.Description != first.Description {
		t.Fatalf("renew changed identity: %+v", renewed.ClientSecret)
	}
	if renewed.Value == first.Value || !LooksLikeSecret(renewed.Value) || renewed.RenewedAt == nil {
		t.Fatalf("renew did not replace the value: %+v", renewed)
	}
	got, err := s.SecretByID(ctx, a.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != SecretDigest(renewed.Value) || got.Hint != renewed.Value[49:] || got.RenewedAt == nil {
		t.Fatalf("stored digest/hint not replaced: %+v", got)
	}
	if _, err := s.RenewSecret(ctx, Actor{}, a.ID, "unknown"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown secret: %v", err)
	}
	other, _ := newTestApp(t, s, "other")
	if _, err := s.RenewSecret(ctx, Actor{}, other.ID, first.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("foreign secret renewed: %v", err)
	}
}

func TestDeleteSecretConfirmation(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name, description string
		confirm           *string
		wantErr           bool
	}{
		{"exact", "production", str("production"), false},
		{"prefix is not enough", "production", str("prod"), true},
		{"longer is not enough", "prod", str("production"), true},
		{"case matters", "Prod", str("prod"), true},
		{"surrounding spaces do not match", "prod", str(" prod"), true},
		{"regex metacharacters literal", "a.b*", str("a.b*"), false},
		{"regex does not match", "a.b*", str("axbbb"), true},
		{"regex anchor", "^x$", str("^x$"), false},
		{"dot star", "key", str(".*"), true},
		{"empty", "key", str(""), true},
		{"API needs no confirmation", "key", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := openTestStore(t)
			ctx := context.Background()
			a, _ := newTestApp(t, s, "app")
			cs, err := s.CreateSecret(ctx, Actor{}, a.ID, tt.description)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.DeleteSecret(ctx, Actor{}, a.ID, cs.ID, tt.confirm)
			_, found := s.SecretByID(ctx, a.ID, cs.ID)
			if tt.wantErr {
				if fe, ok := AsFieldErrors(err); !ok || fe["confirm"] == "" {
					t.Fatalf("err = %v, want a confirm field error", err)
				}
				if found != nil {
					t.Fatal("secret deleted despite wrong confirmation")
				}
				return
			}
			if err != nil || !errors.Is(found, ErrNotFound) {
				t.Fatalf("err = %v, lookup after delete = %v", err, found)
			}
		})
	}
}

func TestDeleteLastSecretRefused(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "app")
	if _, err := s.DeleteSecret(ctx, Actor{}, a.ID, first.ID, nil); !errors.Is(err, ErrLastSecret) {
		t.Fatalf("err = %v, want ErrLastSecret", err)
	}
	second, err := s.CreateSecret(ctx, Actor{}, a.ID, "second")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteSecret(ctx, Actor{}, a.ID, first.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteSecret(ctx, Actor{}, a.ID, second.ID, nil); !errors.Is(err, ErrLastSecret) {
		t.Fatalf("err = %v, want ErrLastSecret", err)
	}
	other, _ := newTestApp(t, s, "other")
	if _, err := s.DeleteSecret(ctx, Actor{}, other.ID, second.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("foreign delete: %v", err)
	}
}

func TestSecretValuesNeverStoredOrLogged(t *testing.T) {
	s, path, logs := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "app")
	values := []string{first.Value}
	live := []string{first.Value}
	for _, d := range []string{"one", "two"} {
		ns, err := s.CreateSecret(ctx, Actor{}, a.ID, d)
		if err != nil {
			t.Fatal(err)
		}
		rn, err := s.RenewSecret(ctx, Actor{}, a.ID, ns.ID)
		if err != nil {
			t.Fatal(err)
		}
		values = append(values, ns.Value, rn.Value)
		live = append(live, rn.Value)
	}
	// Force an error path through the logger too.
	_, _ = s.CreateSecret(ctx, Actor{}, a.ID, "one")
	blob := dumpDatabase(t, s, path)
	if len(blob) == 0 {
		t.Fatal("database file is empty")
	}
	for _, v := range values {
		body := v[4:49] // the random part without the prefix and checksum
		if strings.Contains(string(blob), body) || strings.Contains(logs.String(), body) {
			t.Fatalf("secret value found in the database file or logs")
		}
	}
	// The file read is the right one: the live values' digests are in it.
	for _, v := range live {
		if !strings.Contains(string(blob), SecretDigest(v)) {
			t.Fatalf("digest of a live value is not in the database file")
		}
	}
}

// dumpDatabase returns everything the database holds as bytes: the SQLite
// files (after closing, which folds the WAL into the main file), or every
// row of every table as text on PostgreSQL.
func dumpDatabase(t *testing.T, s *Store, dsn string) []byte {
	t.Helper()
	var blob []byte
	if IsPostgres(dsn) {
		var tables []string
		if err := s.db.Raw("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").Scan(&tables).Error; err != nil {
			t.Fatal(err)
		}
		for _, tbl := range tables {
			var rows []string
			if err := s.db.Raw("SELECT t::text FROM " + tbl + " t").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			blob = append(blob, strings.Join(rows, "\n")...)
		}
		return blob
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(dsn + suffix); err == nil {
			blob = append(blob, b...)
		}
	}
	return blob
}
