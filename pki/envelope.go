package pki

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
)

// KEKSize is the size of a key-encryption key: AES-256.
const KEKSize = 32

// envelopePrefix starts every sealed value and names its format (AES-256-GCM,
// random 96-bit nonce, then the ciphertext and tag, base64), so a future
// format can be told apart. Base64 never holds ':', so a sealed value cannot
// be confused with a plain one.
const envelopePrefix = "kek1:"

// ErrSealed is returned by Open for a value that was not sealed under this
// key, was sealed for another purpose, or was altered.
var ErrSealed = errors.New("pki: sealed value cannot be opened with this key-encryption key")

// Seal encrypts plaintext under the key-encryption key kek with AES-256-GCM.
// aad binds the result to its place (a certificate's id, a setting's key):
// a sealed value copied elsewhere does not open.
func Seal(kek, plaintext []byte, aad string) (string, error) {
	gcm, err := newGCM(kek)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := gcm.Seal(nonce, nonce, plaintext, []byte(aad))
	return envelopePrefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts what Seal returned for the same kek and aad.
func Open(kek []byte, sealed, aad string) ([]byte, error) {
	gcm, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(sealed, envelopePrefix)
	if !ok {
		return nil, ErrSealed
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < gcm.NonceSize()+gcm.Overhead() {
		return nil, ErrSealed
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(aad))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// IsSealed reports whether v has the form Seal gives.
func IsSealed(v string) bool { return strings.HasPrefix(v, envelopePrefix) }

func newGCM(kek []byte) (cipher.AEAD, error) {
	if len(kek) != KEKSize {
		return nil, errors.New("pki: the key-encryption key must be 32 bytes")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
