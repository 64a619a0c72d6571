package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"latchkey/internal/testdb"
	"latchkey/models"
)

// inTempDir runs the test in an empty working directory with no LATCHKEY_
// variables set, so ./latchkey.yml and ./data are the test's own.
func inTempDir(t *testing.T) string {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "LATCHKEY_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	return dir
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	inTempDir(t)
	t.Setenv("LATCHKEY_APPLICATIONS_SECRETSMAX", "0")
	err := run(context.Background(), []string{"serve"}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "applications.secretsMax") {
		t.Fatalf("err = %v, want one naming applications.secretsMax", err)
	}
	if _, statErr := os.Stat("data"); !os.IsNotExist(statErr) {
		t.Fatal("a database was created despite the invalid configuration")
	}
}

func TestUnknownKeyInFileIsRefused(t *testing.T) {
	dir := inTempDir(t)
	path := filepath.Join(dir, "custom.yml")
	if err := os.WriteFile(path, []byte("applications:\n  secretMax: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"serve", "--config", path}, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "secretMax") {
		t.Fatalf("err = %v, want one naming the unknown key", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, nil, &bytes.Buffer{}, &stderr); err == nil || !strings.Contains(stderr.String(), "Usage") {
		t.Fatalf("err = %v, stderr = %q", err, stderr.String())
	}
}

func TestUserCreateReadsPasswordFromStdin(t *testing.T) {
	inTempDir(t)
	var out, errOut bytes.Buffer
	args := []string{"user", "create", "--email", "Ops@Example.com", "--name", "Ops", "--role", "admin"}
	if err := run(context.Background(), args, strings.NewReader("a long enough password\n"), &out, &errOut); err != nil {
		t.Fatalf("err = %v, stderr = %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "created admin user ops@example.com") {
		t.Fatalf("stdout = %q", out.String())
	}
	store, err := models.Open(context.Background(), "data/latchkey.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.Authenticate(context.Background(), "ops@example.com", "a long enough password")
	if err != nil || u == nil || u.Role != models.RoleAdmin {
		t.Fatalf("user = %+v, err = %v", u, err)
	}

	// Bad input: a short password and an unknown role create nothing.
	errOut.Reset()
	args = []string{"user", "create", "--email", "v@example.com", "--name", "V", "--role", "owner"}
	if err := run(context.Background(), args, strings.NewReader("short\n"), &out, &errOut); err == nil {
		t.Fatal("user with a short password and unknown role was created")
	}
	if !strings.Contains(errOut.String(), "password:") || !strings.Contains(errOut.String(), "role:") {
		t.Fatalf("stderr = %q, want messages for password and role", errOut.String())
	}
	if n, _ := store.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

func TestServeLogsSetupLinkAndShutsDownGracefully(t *testing.T) {
	inTempDir(t)
	t.Setenv("LATCHKEY_SERVER_CONSOLE_ADDR", "127.0.0.1:0")
	t.Setenv("LATCHKEY_SERVER_GATEWAY_ADDR", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &testdb.LogBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, nil, &bytes.Buffer{}, logs) }()

	listening := regexp.MustCompile(`listener=(console|gateway) addr=(\S+)`)
	var addrs map[string]string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		addrs = map[string]string{}
		for _, m := range listening.FindAllStringSubmatch(logs.String(), -1) {
			addrs[m[1]] = m[2]
		}
		if len(addrs) == 2 {
			break
		}
	}
	if len(addrs) != 2 {
		t.Fatalf("listeners did not start; log:\n%s", logs.String())
	}
	for name, addr := range addrs {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s /healthz: %v %v", name, resp, err)
		}
		resp.Body.Close()
	}
	if !regexp.MustCompile(`/setup\?token=[0-9a-f]{64}`).MatchString(logs.String()) {
		t.Fatalf("no setup link logged:\n%s", logs.String())
	}
	if _, err := os.Stat("data/latchkey.db"); err != nil {
		t.Fatalf("default SQLite file not created: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancellation")
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Fatalf("no clean stop logged:\n%s", logs.String())
	}
	if _, err := http.Get("http://" + addrs["console"] + "/healthz"); err == nil {
		t.Fatal("console still answers after shutdown")
	}
}

func TestBootstrapAdminFromEnvironment(t *testing.T) {
	inTempDir(t)
	t.Setenv("LATCHKEY_BOOTSTRAP_ADMIN_EMAIL", "root@example.com")
	t.Setenv("LATCHKEY_BOOTSTRAP_ADMIN_PASSWORD", "bootstrap password 1")
	t.Setenv("LATCHKEY_SERVER_CONSOLE_ADDR", "127.0.0.1:0")
	t.Setenv("LATCHKEY_SERVER_GATEWAY_ENABLED", "false")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &testdb.LogBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, nil, &bytes.Buffer{}, logs) }()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !strings.Contains(logs.String(), "listening"); {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "setup?token=") {
		t.Fatal("setup link logged although a bootstrap admin was configured")
	}
	if !strings.Contains(logs.String(), "listener disabled") || !strings.Contains(logs.String(), "listener=gateway") {
		t.Fatalf("gateway was not reported disabled:\n%s", logs.String())
	}
	store, err := models.Open(context.Background(), "data/latchkey.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if u, _ := store.Authenticate(context.Background(), "root@example.com", "bootstrap password 1"); u == nil || !u.IsAdmin() {
		t.Fatal("bootstrap admin cannot sign in")
	}
}
