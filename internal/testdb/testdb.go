// Package testdb gives each test its own empty database: a SQLite file in
// the test's temporary folder, or, when LATCHKEY_TEST_DSN names a
// PostgreSQL server, a fresh schema on it (dropped when the test ends), so
// the same tests run against both databases. It also holds the helpers
// every package's tests share: a settable Clock and a LogBuffer. It is
// imported only by tests, and imports no Latchkey package (models' own
// tests use it).
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable holding the PostgreSQL test server.
const EnvDSN = "LATCHKEY_TEST_DSN"

// Postgres reports whether the tests run against PostgreSQL.
func Postgres() bool { return os.Getenv(EnvDSN) != "" }

// DSN returns a database for one test. With LATCHKEY_TEST_DSN set, a server
// that cannot be reached fails the test: it never silently falls back.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		return filepath.Join(t.TempDir(), "latchkey.db")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL cannot be reached: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop test schema: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// The schema name also names the test's connections, so a test that
	// kills connections can aim at its own (tests of several packages share
	// the server at once).
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// testKEK is the key-encryption key of test stores: fixed, so a test that
// opens a database twice (or from two processes) can read its keys.
var testKEK = []byte("latchkey-test-key-encryption-32b")

// KEK returns the key-encryption key tests open stores with (pass it to
// models.WithKeyEncryptionKey): PostgreSQL stores need one, and SQLite
// ones would otherwise write a key file beside the database.
func KEK() []byte { return append([]byte(nil), testKEK...) }

// KEKBase64 is KEK as security.keyEncryptionKey takes it.
func KEKBase64() string { return base64.StdEncoding.EncodeToString(testKEK) }
