package models

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"latchkey/internal/testdb"
	"latchkey/pki"
)

// privateForms are the shapes a private key could be found in: PKCS#8
// DER, its base64 (a PEM body, or bcbf365's column), and the raw secret
// numbers (ECDSA D, RSA D and primes, the Ed25519 seed), raw and hex.
func privateForms(t *testing.T, k *SigningKey) map[string][]byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(der)
	forms := map[string][]byte{"PKCS#8 DER": der, "base64 of the DER": []byte(b64), "PEM line": []byte(b64[len(b64)-64:])}
	var secrets [][]byte
	switch p := k.Signer.(type) {
	case *ecdsa.PrivateKey:
		b, err := p.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, b)
	case *rsa.PrivateKey:
		secrets = append(secrets, p.D.Bytes(), p.Primes[0].Bytes(), p.Primes[1].Bytes())
	case ed25519.PrivateKey:
		secrets = append(secrets, p.Seed())
	default:
		t.Fatalf("key type %T", k.Signer)
	}
	for i, s := range secrets {
		forms[k.Algorithm+" secret number "+string(rune('0'+i))] = s
		forms[k.Algorithm+" secret number in hex "+string(rune('0'+i))] = []byte(hex.EncodeToString(s))
	}
	return forms
}

// The database holds no private key in any form: not in the SQLite file,
// not in its WAL, not in any row on PostgreSQL. Nor the session keys.
func TestDatabaseHoldsNoPrivateKey(t *testing.T) {
	e := newCertEnv(t)
	for _, alg := range []string{pki.RS256, pki.PS256, pki.EdDSA, pki.ES256} {
		if _, err := e.s.RotateCertificate(e.ctx, Actor{}, e.app.DomainID, SystemCertificateInput{Algorithm: alg}); err != nil {
			t.Fatal(err)
		}
	}
	up := uploadPEM(t, e.clock.Now().AddDate(1, 0, 0))
	if _, err := e.s.CreateOwnCertificate(e.ctx, Actor{}, e.app.DomainID, up); err != nil {
		t.Fatal(err)
	}
	list, err := e.s.Certificates(e.ctx, e.app.DomainID)
	if err != nil || len(list) != 6 {
		t.Fatalf("%d certificates, %v", len(list), err)
	}
	forms := map[string][]byte{"uploaded PEM": up.PrivateKeyPEM[40:120]}
	algs := map[string]bool{}
	for _, c := range list {
		k, err := e.s.SigningKeyByID(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		algs[k.Algorithm] = true
		for name, f := range privateForms(t, k) {
			forms[c.ID+" "+name] = f
		}
	}
	if len(algs) != 4 {
		t.Fatalf("algorithms %v, want all four", algs)
	}
	for _, key := range []string{"session.hashKey", "session.blockKey"} {
		v, err := e.s.EnsureSetting(e.ctx, key, RandomKey(32))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(v)
		forms[key] = []byte(v)
		forms[key+" bytes"] = raw
	}

	var stored []byte
	if testdb.Postgres() {
		var rows []string
		for _, q := range []string{"SELECT t::text FROM certificates t", "SELECT t::text FROM settings t"} {
			var part []string
			if err := e.s.db.Raw(q).Scan(&part).Error; err != nil {
				t.Fatal(err)
			}
			rows = append(rows, part...)
		}
		stored = []byte(strings.Join(rows, "\n"))
		// The text form of a bytea would be hex; the raw forms are checked
		// in hex too.
	} else {
		for _, f := range []string{e.dsn, e.dsn + "-wal"} {
			b, err := os.ReadFile(f)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			stored = append(stored, b...)
		}
		if len(stored) < 4096 {
			t.Fatalf("read only %d bytes of the database", len(stored))
		}
	}
	if !bytes.Contains(stored, []byte(list[0].Chain[30:90])) {
		t.Fatal("the stored bytes do not even hold a certificate: the test reads the wrong thing")
	}
	for name, f := range forms {
		if bytes.Contains(stored, f) {
			t.Errorf("the database holds a private key: %s", name)
		}
	}
}

// Without a configured key a SQLite store keeps its key in a file beside
// the database, made once with mode 0600; it refuses the file when others
// may read it, and another key cannot open what the first sealed.
func TestKeyFileBesideSQLite(t *testing.T) {
	if testdb.Postgres() {
		t.Skip("SQLite only")
	}
	ctx := context.Background()
	dsn := t.TempDir() + "/latchkey.db"
	s, err := Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := newTestDomain(t, s, "Acme")
	ids, err := s.SigningKeyIDs(ctx, d.ID)
	if err != nil || len(ids) != 1 {
		t.Fatal(ids, err)
	}
	session, err := s.EnsureSetting(ctx, "session.hashKey", RandomKey(64))
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	st, err := os.Stat(dsn + KEKFileSuffix)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() != 32 {
		t.Fatalf("key file: %v, %v", st, err)
	}

	// Opened again, the same key reads what was sealed.
	s, err = Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SigningKeyByID(ctx, ids[0]); err != nil {
		t.Errorf("the certificate's key does not open again: %v", err)
	}
	if v, err := s.EnsureSetting(ctx, "session.hashKey", RandomKey(64)); err != nil || v != session {
		t.Errorf("session key %q, %v; want the one stored", v, err)
	}
	_ = s.Close()

	// Another key opens the database but none of its keys.
	other := bytes.Repeat([]byte{7}, 32)
	s, err = Open(ctx, dsn, nil, WithKeyEncryptionKey(other))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SigningKeyByID(ctx, ids[0]); !errors.Is(err, pki.ErrSealed) {
		t.Errorf("another key opened the certificate: %v", err)
	}
	if _, err := s.EnsureSetting(ctx, "session.hashKey", RandomKey(64)); !errors.Is(err, pki.ErrSealed) {
		t.Errorf("another key opened the session key: %v", err)
	}
	_ = s.Close()

	if err := os.Chmod(dsn+KEKFileSuffix, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dsn, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file others can read: %v, want a refusal saying how to fix it", err)
	}
	if _, err := Open(ctx, dsn, nil, WithKeyEncryptionKey(other[:16])); err == nil {
		t.Error("a 16-byte key was accepted")
	}
}

func TestPostgresNeedsAKey(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("PostgreSQL only")
	}
	_, err := Open(context.Background(), testdb.DSN(t), nil)
	if err == nil || !strings.Contains(err.Error(), "security.keyEncryptionKey") || !strings.Contains(err.Error(), "LATCHKEY_SECURITY_KEYENCRYPTIONKEY") {
		t.Errorf("Open without a key: %v", err)
	}
}
