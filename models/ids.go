package models

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/google/uuid"
)

// newID returns a random UUID for primary keys.
func newID() string { return uuid.NewString() }

// randomHex returns n random bytes as lower-case hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
