package models

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"latchkey/pki"
)

// KEKFileSuffix names the key file beside a SQLite database that holds its
// key-encryption key when none is configured: latchkey.db has
// latchkey.db.kek.
const KEKFileSuffix = ".kek"

// errPostgresNeedsKEK is why a PostgreSQL store does not open without a
// configured key: there is no file of its own to keep one beside, and a
// key in the database would protect nothing.
var errPostgresNeedsKEK = errors.New("a key-encryption key is required with PostgreSQL: set security.keyEncryptionKey (environment LATCHKEY_SECURITY_KEYENCRYPTIONKEY) to the base64 of 32 random bytes, e.g. the output of `openssl rand -base64 32`, the same on every node")

// resolveKEK returns the key-encryption key the store seals private keys
// with: the configured one (WithKeyEncryptionKey), else, for a SQLite
// file, the key file beside it (made on first use, mode 0600), else, for
// an in-memory SQLite database, a key as short-lived as the database.
func resolveKEK(configured []byte, postgres bool, sqliteFile string) ([]byte, error) {
	if configured != nil {
		if len(configured) != pki.KEKSize {
			return nil, fmt.Errorf("the key-encryption key must be 32 bytes (got %d)", len(configured))
		}
		return configured, nil
	}
	if postgres {
		return nil, errPostgresNeedsKEK
	}
	if sqliteFile == "" {
		k := make([]byte, pki.KEKSize)
		_, err := rand.Read(k)
		return k, err
	}
	return keyFile(sqliteFile + KEKFileSuffix)
}

// keyFile reads the key file at path, creating it with a new key when it
// does not exist. It refuses a file that anyone but its owner may read:
// whoever reads it can open every private key in the database.
func keyFile(path string) ([]byte, error) {
	k := make([]byte, pki.KEKSize)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	// Written to a file of its own first, then linked into place: the
	// link appears whole or not at all, so processes starting together on
	// a new database agree on one key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kek-*")
	if err != nil {
		return nil, fmt.Errorf("create the key-encryption key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(k)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("write the key-encryption key file %s: %w", path, werr)
	}
	err = os.Link(tmp.Name(), path)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create the key-encryption key file %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the key-encryption key file %s can be read by others (mode %04o): run `chmod 600 %s`", path, st.Mode().Perm(), shellQuote(path))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the key-encryption key file: %w", err)
	}
	if len(b) != pki.KEKSize {
		return nil, fmt.Errorf("the key-encryption key file %s holds %d bytes, not 32: restore it from your backup (without it the private keys in %s cannot be read)", path, len(b), filepath.Base(strings.TrimSuffix(path, KEKFileSuffix)))
	}
	return b, nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
