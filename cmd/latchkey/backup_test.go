package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/models"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A backup taken while ~50 writes a second go on holds every write
// acknowledged before it started, is mode 0600 and passes the integrity
// check; restored (with serve stopped), the database opens and its secrets
// authenticate. Restore refuses while a listener answers.
func TestBackupUnderWritesThenRestore(t *testing.T) {
	inTempDir(t)
	console, gateway := freeAddr(t), freeAddr(t)
	t.Setenv("LATCHKEY_SERVER_CONSOLE_ADDR", console)
	t.Setenv("LATCHKEY_SERVER_GATEWAY_ADDR", gateway)
	ctx := context.Background()
	store, err := models.Open(ctx, "data/latchkey.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.CreateUser(ctx, models.Actor{}, models.NewUser{Email: "alice@example.com", Name: "Alice", Password: "a-long-password-123", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Payments", Enabled: true, OwnerIDs: []string{u.ID}})
	if err != nil {
		t.Fatal(err)
	}
	app, secret, err := store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}

	// The writer: a domain every 20 ms, each name recorded once acknowledged.
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			case <-tick.C:
			}
			name := fmt.Sprintf("Written %04d", i)
			if _, err := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: name, Enabled: true, OwnerIDs: []string{u.ID}}); err != nil {
				writerDone <- err
				return
			}
			mu.Lock()
			acked = append(acked, name)
			mu.Unlock()
		}
	}()
	countAcked := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	for deadline := time.Now().Add(30 * time.Second); countAcked() < 25; {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not get 25 writes in")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	var out, errOut bytes.Buffer
	err = run(ctx, []string{"backup", "backup.db"}, nil, &out, &errOut)
	during := countAcked()
	close(stop)
	if werr := <-writerDone; werr != nil {
		t.Fatalf("a write failed during the backup: %v", werr)
	}
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "integrity check ok") || !strings.Contains(out.String(), "data/latchkey.db.kek") || !strings.Contains(out.String(), "cannot be decrypted") {
		t.Errorf("backup output does not say where the key is:\n%s", out.String())
	}
	t.Logf("%d writes acknowledged before the backup, %d when it returned", len(before), during)
	if fi, err := os.Stat("backup.db"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", fi, err)
	}
	if left, _ := os.ReadDir("."); len(left) != 2 { // data/ and backup.db: no temp file left
		t.Errorf("files left beside the backup: %v", left)
	}

	// Restore refuses while a listener answers.
	ln, err := net.Listen("tcp", console)
	if err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"restore", "backup.db"}, nil, &out, &errOut)
	ln.Close()
	if err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("restore with a server running: %v", err)
	}

	// Stopped: restore over the live database, then open it as serve would.
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"restore", "backup.db"}, nil, &out, &errOut); err != nil {
		t.Fatalf("restore: %v\n%s", err, errOut.String())
	}
	restored, err := models.Open(ctx, "data/latchkey.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	domains, err := restored.Domains(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, d := range domains {
		have[d.Name] = true
	}
	for _, name := range before {
		if !have[name] {
			t.Errorf("write %q, acknowledged before the backup started, is not in it", name)
		}
	}
	if len(have) > during+1 {
		t.Errorf("the restored database holds %d domains, more than were written (%d)", len(have), during+1)
	}
	if c, err := restored.AuthenticateClient(ctx, d.HRID, app.ClientID, secret.Value); err != nil || c == nil {
		t.Fatalf("the restored database does not authenticate the secret: %v, %v", c, err)
	}
	if c, err := restored.AuthenticateClient(ctx, d.HRID, app.ClientID, secret.Value+"x"); err != nil || c != nil {
		t.Fatalf("the restored database authenticates a wrong secret: %v, %v", c, err)
	}
}

// A backup file whose schema is newer than the binary's migrations is
// refused, and PostgreSQL is pointed at pg_dump.
func TestRestoreRefusesNewerSchemaAndPostgres(t *testing.T) {
	inTempDir(t)
	t.Setenv("LATCHKEY_SERVER_CONSOLE_ADDR", freeAddr(t))
	t.Setenv("LATCHKEY_SERVER_GATEWAY_ADDR", freeAddr(t))
	ctx := context.Background()
	store, err := models.Open(ctx, "newer.db", nil)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := store.SQLDB()
	if _, err := sqlDB.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, 1)"); err != nil {
		t.Fatal(err)
	}
	store.Close()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"restore", "newer.db"}, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("restore of a newer schema: %v", err)
	}
	if _, err := os.Stat("data/latchkey.db"); !os.IsNotExist(err) {
		t.Errorf("a refused restore left a database: %v", err)
	}
	t.Setenv("LATCHKEY_DATABASE_DSN", "postgres://latchkey@127.0.0.1:1/none")
	t.Setenv("LATCHKEY_SECURITY_KEYENCRYPTIONKEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	for _, cmd := range []string{"backup", "restore"} {
		if err := run(ctx, []string{cmd, "x.db"}, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "pg_dump") {
			t.Errorf("%s on PostgreSQL: %v", cmd, err)
		}
	}
}
