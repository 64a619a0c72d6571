package models

import (
	"regexp"
	"strings"
	"unicode"
)

// Rules for credentials brought from another server (bring your own
// clientId and clientSecret, for migrations): the console and the API check
// them here, once.

// clientIDPattern is what a chosen client id may hold: up to 64 printable
// ASCII characters without spaces or colons (HTTP Basic puts a colon
// between id and secret, and not every client form-encodes the id first).
var clientIDPattern = regexp.MustCompile(`^[\x21-\x39\x3B-\x7E]{1,64}$`)

// ClientIDRule says what a chosen client id may be.
const ClientIDRule = "A client id is 1 to 64 printable ASCII characters without spaces or colons."

// ValidateClientID checks a chosen client id; it returns "" when it is good.
func ValidateClientID(id string) string {
	if !clientIDPattern.MatchString(id) {
		return ClientIDRule
	}
	return ""
}

// Limits of an imported secret value.
const (
	MinImportedSecretLength = 32
	MaxImportedSecretLength = 256
)

// ImportedSecretRule is the strength rule, as every refusal states it.
const ImportedSecretRule = "An imported secret must be 32 to 256 printable ASCII characters without spaces, " +
	"mix at least two of lower-case letters, upper-case letters, digits and symbols, " +
	"use at least 10 different characters, and be neither the client id nor a known weak value."

// weakWords are parts of well-known weak or placeholder secrets: a value
// containing one is refused whatever its length, since padding a word to
// 32 characters is what people do.
var weakWords = []string{"password", "passwd", "secret", "changeme", "letmein", "qwerty", "123456", "abcdef", "example", "default", "admin"}

// CheckImportedSecret checks the strength of a secret value brought from
// elsewhere against ImportedSecretRule; clientID is the application's. It
// returns "" when the value is acceptable.
func CheckImportedSecret(value, clientID string) string {
	n := len(value)
	if n < MinImportedSecretLength || n > MaxImportedSecretLength {
		return ImportedSecretRule
	}
	var lower, upper, digit, symbol bool
	distinct := map[rune]bool{}
	for _, r := range value {
		if r < 0x21 || r > 0x7E {
			return ImportedSecretRule
		}
		distinct[r] = true
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, symbol} {
		if b {
			classes++
		}
	}
	if classes < 2 || len(distinct) < 10 {
		return ImportedSecretRule
	}
	v := strings.ToLower(value)
	if clientID != "" && strings.Contains(v, strings.ToLower(clientID)) {
		return ImportedSecretRule
	}
	for _, w := range weakWords {
		if strings.Contains(v, w) {
			return ImportedSecretRule
		}
	}
	return ""
}

// plausibleSecret reports whether s could be a stored secret's value: one
// of Latchkey's, or one imported (see CheckImportedSecret). Anything else
// is noise that needs no database lookup.
func plausibleSecret(s string) bool {
	if LooksLikeSecret(s) {
		return true
	}
	if len(s) < MinImportedSecretLength || len(s) > MaxImportedSecretLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7E {
			return false
		}
	}
	return true
}
