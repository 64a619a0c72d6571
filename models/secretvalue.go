package models

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"math/big"
	"strings"
)

// Client secret values look like
//
//	lks_<43 base62 characters: 256 random bits><6 base62 characters: CRC-32>
//
// for 53 characters in all, such as lks_3fJ…Q1x0aZk. The parts:
//
//   - "lks_" marks a Latchkey secret, so secret scanners (and people) can
//     recognise one in a log, a commit or a chat message.
//   - 32 bytes from crypto/rand, in base62 so the whole value is one "word":
//     a double-click selects it and no URL or form encoding ever changes it.
//   - a CRC-32 of everything before it, so a scanner can tell a real secret
//     from a random 53-character string offline, without asking the server
//     (no false positives to triage, and no oracle for guessing).
//
// Only the SHA-256 digest of the value is stored, with its last four
// characters as a hint for people. A slow password KDF (argon2, bcrypt)
// protects low-entropy passwords against guessing once their hashes leak; a
// 256-bit random value cannot be guessed, so a KDF would add no security,
// while it would cost tens of milliseconds of CPU on every token request and
// force a per-secret comparison loop. A plain digest can instead be looked up
// through an index, so verification costs the same with 1 or 10 secrets.
const (
	// SecretPrefix starts every client secret value.
	SecretPrefix    = "lks_"
	secretRandLen   = 43 // base62 digits needed for 256 bits
	secretCheckLen  = 6  // base62 digits needed for 32 bits
	secretHintLen   = 4
	base62Alphabet  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	secretRandBytes = 32
)

// newSecretValue returns a fresh secret value.
func newSecretValue() string { return newCheckedValue(SecretPrefix) }

// newCheckedValue returns prefix, 256 random bits in base62 and a CRC-32 of
// both: the format of client secrets and API tokens, told apart by prefix.
func newCheckedValue(prefix string) string {
	b := make([]byte, secretRandBytes)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	body := prefix + base62(new(big.Int).SetBytes(b), secretRandLen)
	return body + secretChecksum(body)
}

func secretChecksum(body string) string {
	var b [secretCheckLen]byte
	return string(appendChecksum(b[:0], body))
}

// appendChecksum appends body's CRC-32 as secretCheckLen base62 digits
// (base62's digits, in machine integers: the token endpoint checks one on
// every request).
func appendChecksum(dst []byte, body string) []byte {
	n := crc32String(body)
	var out [secretCheckLen]byte
	for i := secretCheckLen - 1; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return append(dst, out[:]...)
}

// crc32String is crc32.ChecksumIEEE([]byte(s)) by the package's own table,
// a byte at a time: every crc32 function takes its bytes through a
// function value, so the conversion would allocate, and a secret is a few
// dozen bytes.
func crc32String(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

// base62 renders n as exactly width digits, zero-padded on the left.
func base62(n *big.Int, width int) string {
	out := make([]byte, width)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := width - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62Alphabet[mod.Int64()]
	}
	return string(out)
}

// LooksLikeSecret reports whether s has the shape and a valid checksum of a
// Latchkey client secret. It says nothing about whether the secret exists.
func LooksLikeSecret(s string) bool { return looksLikeCheckedValue(s, SecretPrefix) }

// looksLikeCheckedValue reports whether s is a newCheckedValue(prefix).
func looksLikeCheckedValue(s, prefix string) bool {
	if len(s) != len(prefix)+secretRandLen+secretCheckLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if strings.IndexByte(base62Alphabet, s[i]) < 0 {
			return false
		}
	}
	body := s[:len(s)-secretCheckLen]
	var sum [secretCheckLen]byte
	return string(appendChecksum(sum[:0], body)) == s[len(s)-secretCheckLen:]
}

// SecretDigest is the stored form of a secret value: hex SHA-256.
func SecretDigest(value string) string {
	// Copied into an array on the stack rather than by []byte(value), which
	// would allocate: the token endpoint digests a secret on every request.
	var buf [64]byte
	sum := sha256.Sum256(append(buf[:0], value...))
	return hex.EncodeToString(sum[:])
}

func secretHint(value string) string { return value[len(value)-secretHintLen:] }
