package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
// They are encoded into every hash, so raising them later keeps old hashes
// verifiable.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format. It waits
// its turn at the password gate like every verification, and returns
// ErrPasswordBusy when the gate is full.
func HashPassword(ctx context.Context, password string) (hash string, err error) {
	err = passwords.run(ctx, func() { hash, err = hashPassword(password) })
	return hash, err
}

func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches an argon2id PHC hash, in
// time that does not depend on where the two differ. Every verification
// passes the password gate, which bounds how many run at once; when it is
// full, VerifyPassword returns ErrPasswordBusy without verifying.
func VerifyPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	err = passwords.run(ctx, func() {
		passwordVerifications.Add(1)
		ok = checkPassword(hash, password)
	})
	return ok, err
}

// checkPassword is VerifyPassword's computation, outside the gate.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names no account, so that an
// unknown email costs the same time as a wrong password.
var dummyHash, _ = hashPassword("latchkey-timing-equaliser")
