package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the schema dumps
	_ "github.com/mattn/go-sqlite3"    // database/sql driver "sqlite3", for the schema dumps

	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/pki"
)

// legacyData is where testdata/bcbf365 comes from: see its make.sh.
const legacyData = "testdata/bcbf365"

// legacyValues are what make.sh recorded about the data it made.
type legacyValues struct {
	Domain, Application, ClientID, DefaultSecret, ExpiringSecret string
}

// A database made by Latchkey bcbf365 (the last version before numbered
// migrations) is upgraded by `latchkey migrate up`: its data stays, every
// migration is applied, its Default secret still authenticates, and its
// schema ends the same as a fresh database's.
func TestUpgradeFromBcbf365(t *testing.T) {
	data, err := filepath.Abs(legacyData)
	if err != nil {
		t.Fatal(err)
	}
	var dsn, fresh string
	kind := "sqlite"
	if testdb.Postgres() {
		kind = "postgres"
		dsn, fresh = testdb.DSN(t), testdb.DSN(t)
		loadPostgresDump(t, dsn, filepath.Join(data, "postgres.sql"))
	} else {
		dir := t.TempDir()
		dsn, fresh = filepath.Join(dir, "legacy.db"), filepath.Join(dir, "fresh.db")
		b, err := os.ReadFile(filepath.Join(data, "latchkey.db"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dsn, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var want legacyValues
	if b, err := os.ReadFile(filepath.Join(data, kind+".json")); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	// The domain's signing key as bcbf365 stored it, in the clear: it must
	// come out of the upgrade as a certificate with the same id (tokens
	// carry it as their kid), sealed.
	var kid, legacyKey, legacyHashKey string
	if err := openSQL(t, dsn).QueryRow("SELECT id, private_key FROM signing_keys").Scan(&kid, &legacyKey); err != nil {
		t.Fatal(err)
	}
	// The session keys too, which the upgrade seals.
	if err := openSQL(t, dsn).QueryRow("SELECT value FROM settings WHERE key = 'session.hashKey'").Scan(&legacyHashKey); err != nil {
		t.Fatal(err)
	}
	inTempDir(t)
	t.Setenv("LATCHKEY_DATABASE_DSN", dsn)
	t.Setenv("LATCHKEY_SECURITY_KEYENCRYPTIONKEY", testdb.KEKBase64())
	migrate := func(sub string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"migrate", sub}, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("migrate %s: %v\n%s", sub, err, errOut.String())
		}
		return out.String()
	}

	before := migrate("status")
	if n := strings.Count(before, "pending"); n < 3 {
		t.Fatalf("status of the legacy database lists %d pending migrations, want them all:\n%s", n, before)
	}
	before = strings.TrimSpace(before)
	up := migrate("up")
	if !strings.Contains(up, "applied 00002 schema") {
		t.Errorf("migrate up printed:\n%s", up)
	}
	after := migrate("status")
	if strings.Contains(after, "pending") {
		t.Errorf("migrations still pending after migrate up:\n%s", after)
	}
	applied := regexp.MustCompile(`(?m)^\d{5}\s+\w+\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	if got, want := len(applied.FindAllString(after, -1)), strings.Count(before, "\n"); got != want || got < 3 {
		t.Errorf("status after migrate up shows %d applied migrations, want %d (one a line with its time):\n%s", got, want, after)
	}
	if again := migrate("up"); !strings.Contains(again, "up to date") {
		t.Errorf("a second migrate up printed:\n%s", again)
	}

	ctx := context.Background()
	store, err := models.Open(ctx, dsn, nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d, err := store.DomainByID(ctx, want.Domain)
	if err != nil || d.Name != "Legacy" || d.Description != "made by bcbf365" {
		t.Fatalf("domain after the upgrade = %+v, %v", d, err)
	}
	if c, err := store.AuthenticateClient(ctx, d.HRID, want.ClientID, want.DefaultSecret); err != nil || c == nil || c.ApplicationID != want.Application {
		t.Errorf("the Default secret no longer authenticates: %+v, %v", c, err)
	} else if c.SigningKeyID != kid {
		t.Errorf("the application signs with %q, want the certificate made from the signing key %s", c.SigningKeyID, kid)
	}
	if k, err := store.SigningKeyByID(ctx, kid); err != nil {
		t.Errorf("the signing key %s is no certificate: %v", kid, err)
	} else if der, err := base64.StdEncoding.DecodeString(legacyKey); err != nil {
		t.Fatal(err)
	} else if old, err := x509.ParsePKCS8PrivateKey(der); err != nil {
		t.Fatal(err)
	} else if !k.Signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(old.(crypto.Signer).Public()) {
		t.Errorf("the certificate %s has another key than the signing key it was made from", kid)
	} else {
		var stored string
		if err := openSQL(t, dsn).QueryRow("SELECT private_key FROM certificates WHERE id = $1", kid).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored == legacyKey || strings.Contains(stored, legacyKey[:40]) {
			t.Errorf("the certificate's private key is stored in the clear")
		}
	}
	wrong := []byte(want.DefaultSecret)
	wrong[len(wrong)/2] ^= 1
	if c, err := store.AuthenticateClient(ctx, d.HRID, want.ClientID, string(wrong)); err != nil || c != nil {
		t.Errorf("a wrong secret authenticates: %+v, %v", c, err)
	}
	var storedHashKey string
	if err := openSQL(t, dsn).QueryRow("SELECT value FROM settings WHERE key = 'session.hashKey'").Scan(&storedHashKey); err != nil {
		t.Fatal(err)
	}
	if storedHashKey == legacyHashKey || !pki.IsSealed(storedHashKey) {
		t.Errorf("the session key is still stored in the clear after the upgrade")
	}
	if v, err := store.EnsureSetting(ctx, "session.hashKey", models.RandomKey(64)); err != nil || v != legacyHashKey {
		t.Errorf("the session key after the upgrade = %q, %v; want the one from before (sessions survive)", v, err)
	}
	secrets, err := store.Secrets(ctx, want.Application)
	if err != nil || len(secrets) != 2 {
		t.Fatalf("secrets after the upgrade = %+v, %v", secrets, err)
	}
	for _, s := range secrets {
		if (s.ID == want.ExpiringSecret) != (s.ExpiresAt != nil) {
			t.Errorf("secret %s expires at %v; only %s should expire", s.Description, s.ExpiresAt, want.ExpiringSecret)
		}
		// Migration 00110 copies the application's domain to its secrets.
		if s.DomainID != d.ID {
			t.Errorf("secret %s has domain %q after the upgrade, want its application's %s", s.Description, s.DomainID, d.ID)
		}
	}
	admin, err := store.Authenticate(ctx, "ops@example.com", "legacy admin password")
	if err != nil {
		t.Fatalf("the bootstrap administrator cannot log in: %v", err)
	}
	if _, err := store.Authenticate(ctx, "viewer@example.com", "a viewer password"); err != nil {
		t.Errorf("the viewer cannot log in: %v", err)
	}
	if n, err := store.UnreadNotificationCount(ctx, admin.ID); err != nil || n != 1 {
		t.Errorf("the administrator's unread notices = %d, %v; want the one `latchkey notify` made", n, err)
	}
	counts := tableCounts(t, dsn)
	for table, n := range map[string]int{"users": 2, "api_tokens": 1, "domains": 1, "applications": 1, "client_secrets": 2,
		"certificates": 1, "audit_events": 7, "notification_ledgers": 2, "notifications": 1, "notification_runs": 1} {
		if counts[table] != n {
			t.Errorf("%s holds %d rows after the upgrade, want %d", table, counts[table], n)
		}
	}

	freshStore, err := models.Open(ctx, fresh, nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	_ = freshStore.Close()
	if got, want := schemaDump(t, dsn), schemaDump(t, fresh); !slices.Equal(got, want) {
		t.Errorf("the upgraded schema differs from a fresh one:\nupgraded only:\n%s\nfresh only:\n%s",
			strings.Join(missing(got, want), "\n"), strings.Join(missing(want, got), "\n"))
	}
}

// loadPostgresDump runs make.sh's dump into the schema dsn searches.
func loadPostgresDump(t *testing.T, dsn, file string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dump, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Without arguments, Exec runs the whole script in one simple query.
	if _, err := conn.Exec(ctx, strings.ReplaceAll(string(dump), "__SCHEMA__", u.Query().Get("search_path"))); err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
}

// openSQL opens dsn with database/sql, to read its catalogue.
func openSQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver := "sqlite3"
	if models.IsPostgres(dsn) {
		driver = "pgx"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// tableCounts counts the rows of every table the test checks.
func tableCounts(t *testing.T, dsn string) map[string]int {
	t.Helper()
	db := openSQL(t, dsn)
	counts := map[string]int{}
	for _, table := range []string{"users", "api_tokens", "domains", "applications", "client_secrets", "certificates",
		"audit_events", "notification_ledgers", "notifications", "notification_runs"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

// schemaDump describes dsn's schema as sorted lines (tables, columns with
// their types, defaults and nullability, indexes with their columns and
// conditions, keys and foreign keys with their actions) in a form that
// does not depend on how the statements that made it were written.
func schemaDump(t *testing.T, dsn string) []string {
	t.Helper()
	db := openSQL(t, dsn)
	var queries []string
	if models.IsPostgres(dsn) {
		queries = []string{
			`SELECT 'column', table_name, column_name, data_type, COALESCE(character_maximum_length, 0)::text,
				is_nullable, COALESCE(column_default, '') FROM information_schema.columns WHERE table_schema = current_schema()`,
			`SELECT 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid), '', '', ''
				FROM pg_constraint WHERE connamespace = current_schema()::regnamespace`,
			`SELECT 'index', tablename, indexname, replace(indexdef, schemaname || '.', ''), '', '', ''
				FROM pg_indexes WHERE schemaname = current_schema()`,
		}
	} else {
		queries = []string{
			`SELECT 'column', m.name, c.name, lower(c.type), c."notnull", replace(COALESCE(c.dflt_value, ''), '"', ''''), c.pk
				FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table'`,
			`SELECT 'foreign key', m.name, f."table", f."from", f."to", f.on_update, f.on_delete
				FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`,
			`SELECT 'index', m.name, i.name, i."unique", i.origin,
				(SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(i.name) ORDER BY seqno)),
				CASE WHEN i.partial THEN lower(replace(substr(x.sql, instr(upper(x.sql), ' WHERE ')), '` + "`" + `', '')) ELSE '' END
				FROM sqlite_master m JOIN pragma_index_list(m.name) i
				LEFT JOIN sqlite_master x ON x.type = 'index' AND x.name = i.name
				WHERE m.type = 'table'`,
		}
	}
	var lines []string
	for _, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var f [7]string
			if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6]); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, strings.Join(strings.Fields(strings.Join(f[:], " | ")), " "))
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(lines) < 50 {
		t.Fatalf("the schema dump of %s has only %d lines", dsn, len(lines))
	}
	slices.Sort(lines)
	return lines
}

// missing returns the lines of a that b does not have.
func missing(a, b []string) []string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, l)
		}
	}
	return out
}
