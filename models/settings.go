package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"gorm.io/gorm/clause"

	"latchkey/pki"
)

// Setting is a server-wide value kept in the database so that every node
// sharing it agrees (session keys, the pending setup token's digest).
type Setting struct {
	Key   string `gorm:"primaryKey;size:100"`
	Value string `gorm:"not null"`
}

// EnsureSetting returns the stored value of key, storing generate() first if
// the key is absent. Concurrent callers on several nodes all get the value
// that won the insert. The value is a key (the session keys): it is stored
// sealed under the key-encryption key, so the database alone does not give
// it away.
func (s *Store) EnsureSetting(ctx context.Context, key string, generate func() string) (string, error) {
	db := s.db.WithContext(ctx)
	sealed, err := pki.Seal(s.kek, []byte(generate()), settingAAD(key))
	if err != nil {
		return "", err
	}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Setting{Key: key, Value: sealed}).Error; err != nil {
		return "", err
	}
	var st Setting
	if err := db.First(&st, "key = ?", key).Error; err != nil {
		return "", err
	}
	v, err := pki.Open(s.kek, st.Value, settingAAD(key))
	if err != nil {
		return "", fmt.Errorf("setting %s: %w (is this the key-encryption key the database was set up with?)", key, err)
	}
	return string(v), nil
}

// settingAAD binds a sealed setting to its key.
func settingAAD(key string) string { return "setting:" + key }

// RandomKey returns n random bytes, base64-encoded, for EnsureSetting.
func RandomKey(n int) func() string {
	return func() string {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		return base64.StdEncoding.EncodeToString(b)
	}
}
