package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"gorm.io/gorm/clause"
)

// Setting is a server-wide value kept in the database so that every node
// sharing it agrees (session keys, the pending setup token's digest).
type Setting struct {
	Key   string `gorm:"primaryKey;size:100"`
	Value string `gorm:"not null"`
}

// EnsureSetting returns the stored value of key, storing generate() first if
// the key is absent. Concurrent callers on several nodes all get the value
// that won the insert.
func (s *Store) EnsureSetting(ctx context.Context, key string, generate func() string) (string, error) {
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Setting{Key: key, Value: generate()}).Error; err != nil {
		return "", err
	}
	var st Setting
	if err := db.First(&st, "key = ?", key).Error; err != nil {
		return "", err
	}
	return st.Value, nil
}

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
