package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"latchkey/config"
	"latchkey/internal/storeopts"
	"latchkey/models"
)

// `latchkey migrate status` on a new database lists every migration as
// pending and applies none; `migrate up` applies them all.
func TestMigrateStatusThenUp(t *testing.T) {
	inTempDir(t)
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"migrate"}, args...), strings.NewReader(""), &out, &errOut)
		return out.String(), err
	}
	for range 2 {
		out, err := cmd("status")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(out, "VERSION  NAME") || !strings.Contains(out, "00002    schema") || strings.Count(out, "pending") < 3 {
			t.Fatalf("status of a new database:\n%s", out)
		}
	}
	out, err := cmd("up")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "applied 00001 ") || !strings.Contains(out, "applied 00002 schema") || strings.Contains(out, "pending") {
		t.Fatalf("migrate up:\n%s", out)
	}
	if _, err := cmd("down"); err == nil || !strings.Contains(err.Error(), "unknown migrate command") {
		t.Errorf("migrate down: %v, want an unknown command", err)
	}
	if _, err := cmd("status", "extra"); err == nil {
		t.Error("migrate status accepted an extra argument")
	}
}

// Every command opens its store with the configuration's settings: the
// secrets limit, the "expiring soon" window (the largest threshold) and the
// pool.
func TestStoreOptionsFromConfig(t *testing.T) {
	inTempDir(t)
	cfg := config.Default()
	cfg.Applications.SecretsMax = 3
	cfg.Services.Notifier.ClientSecret.ExpiryThresholds = "2,7"
	cfg.Database.MaxOpenConns = 5
	s, err := models.Open(context.Background(), "data/latchkey.db", nil, storeopts.FromConfig(cfg)...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.SecretsMax != 3 || s.ExpiringSoon != 7*24*time.Hour {
		t.Errorf("store settings: secretsMax %d, expiring soon %v; want 3 and 168h", s.SecretsMax, s.ExpiringSoon)
	}
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().MaxOpenConnections; n != 5 {
		t.Errorf("pool: %d connections at most, want 5", n)
	}
}
