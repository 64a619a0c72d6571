package migrations

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Migration 00031 turns each domain's signing keys into system
// certificates with the same ids (so tokens already issued keep
// verifying: their kid is now a certificate's id), seals their private
// keys and the session keys under the key-encryption key, and drops
// signing_keys.
//
// The values below are frozen copies of what the models and pki write
// today: a migration must not change when they do.
const (
	// sealPrefix and the AES-256-GCM layout after it are pki's envelope
	// format "kek1".
	sealPrefix = "kek1:"
	// legacyName is the name of the certificate made from a signing key,
	// Gravitee's name for a domain's generated certificate.
	legacyName = "Default"
	// legacySubject is its subject.
	legacySubject = "Latchkey"
	// legacyValidity is how long it is valid from the upgrade: the
	// default validity of a system certificate. Automatic rotation then
	// replaces it before it expires.
	legacyValidity = 365 * 24 * time.Hour
)

// ErrNoKEK says that an upgrade must encrypt keys but was given no
// key-encryption key.
var ErrNoKEK = errors.New("migrations: this upgrade encrypts the private keys and session keys stored in the database and needs the key-encryption key (security.keyEncryptionKey)")

// certificatesFromSigningKeys is migration 00031.
func certificatesFromSigningKeys(ctx context.Context, tx *sql.Tx, d Dialect, kek []byte) error {
	q := inspector{ctx: ctx, tx: tx, d: d}
	// No foreign keys on these: a certificate in use cannot be deleted
	// (the store refuses), and an id that names no certificate means
	// "gone" to the signing rule, which then falls back.
	for _, col := range [][2]string{{"domains", "fallback_certificate_id"}, {"applications", "certificate_id"}} {
		has, err := q.hasColumn(col[0], col[1])
		if err != nil {
			return err
		}
		if !has {
			typ := "text"
			if d == Postgres {
				typ = "varchar(36)"
			}
			if err := q.exec("ALTER TABLE " + col[0] + " ADD COLUMN " + col[1] + " " + typ); err != nil {
				return err
			}
		}
	}
	if err := sealSessionKeys(q, kek); err != nil {
		return err
	}
	ok, err := q.hasTable("signing_keys")
	if err != nil || !ok {
		return err
	}
	type key struct {
		id, domain, alg, priv string
		created               sql.NullTime
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, domain_id, algorithm, private_key, created_at FROM signing_keys ORDER BY domain_id, created_at DESC, id DESC`)
	if err != nil {
		return err
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.domain, &k.alg, &k.priv, &k.created); err != nil {
			_ = rows.Close()
			return err
		}
		keys = append(keys, k)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(keys) > 0 && len(kek) == 0 {
		return ErrNoKEK
	}
	now := time.Now().UTC().Truncate(time.Second)
	newest := map[string]time.Time{}
	for _, k := range keys {
		der, err := base64.StdEncoding.DecodeString(k.priv)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.id, err)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.id, err)
		}
		signer, ok := parsed.(crypto.Signer)
		if !ok {
			return fmt.Errorf("signing key %s cannot sign", k.id)
		}
		chain, err := selfSigned(signer, now, now.Add(legacyValidity))
		if err != nil {
			return fmt.Errorf("signing key %s: %w", k.id, err)
		}
		sealed, err := seal(kek, der, "certificate:"+k.id)
		if err != nil {
			return err
		}
		created := now
		if k.created.Valid {
			created = k.created.Time.UTC()
		}
		// The domain's newest key signs and stays current; older ones
		// were superseded by it, and retire once the tokens they may
		// have signed have expired.
		var superseded, retired any
		if at, seen := newest[k.domain]; seen {
			var lifetime int64
			if err := tx.QueryRowContext(ctx, q.bind(`SELECT COALESCE(MAX(access_token_lifetime), 0) FROM applications WHERE domain_id = ?`), k.domain).Scan(&lifetime); err != nil {
				return err
			}
			superseded, retired = at, now.Add(time.Duration(lifetime)*time.Second)
		} else {
			newest[k.domain] = created
		}
		_, err = tx.ExecContext(ctx, q.bind(`INSERT INTO certificates (id, domain_id, name, type, algorithm, chain, private_key,
			not_before, expires_at, signing_from, superseded_at, retired_at, created_at, updated_at)
			VALUES (?, ?, ?, 'system', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			k.id, k.domain, legacyName, k.alg, chain, sealed, now, now.Add(legacyValidity), created, superseded, retired, created, now)
		if err != nil {
			return fmt.Errorf("certificate of signing key %s: %w", k.id, err)
		}
	}
	return q.exec("DROP TABLE signing_keys")
}

// sealSessionKeys seals the session keys kept in settings in the clear.
func sealSessionKeys(q inspector, kek []byte) error {
	rows, err := q.tx.QueryContext(q.ctx, `SELECT key, value FROM settings WHERE key LIKE 'session.%'`)
	if err != nil {
		return err
	}
	plain := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			_ = rows.Close()
			return err
		}
		if !strings.HasPrefix(v, sealPrefix) {
			plain[k] = v
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(plain) > 0 && len(kek) == 0 {
		return ErrNoKEK
	}
	for k, v := range plain {
		sealed, err := seal(kek, []byte(v), "setting:"+k)
		if err != nil {
			return err
		}
		if _, err := q.tx.ExecContext(q.ctx, q.bind("UPDATE settings SET value = ? WHERE key = ?"), sealed, k); err != nil {
			return err
		}
	}
	return nil
}

// seal is pki.Seal as of format kek1: AES-256-GCM, a random 96-bit
// nonce, nonce ‖ ciphertext ‖ tag in standard base64 after the prefix,
// aad binding the value to its row.
func seal(kek, plaintext []byte, aad string) (string, error) {
	block, err := aes.NewCipher(kek)
	if err != nil {
		return "", fmt.Errorf("key-encryption key: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealPrefix + base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, plaintext, []byte(aad))), nil
}

// selfSigned returns a PEM self-signed certificate around key.
func selfSigned(key crypto.Signer, notBefore, notAfter time.Time) (string, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", err
	}
	name := pkix.Name{CommonName: legacySubject}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: name, Issuer: name, NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
