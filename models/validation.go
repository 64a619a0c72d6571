package models

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Field limits shared by the console and the API.
const (
	MaxNameLength        = 64
	MaxDescriptionLength = 500
	MaxEmailLength       = 254
	MinPasswordLength    = 12
	MaxPasswordLength    = 256
	MaxHRIDLength        = 64
)

var hridPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// reservedHRIDs are path segments the console or gateway use themselves.
var reservedHRIDs = map[string]bool{
	"healthz": true, "static": true, "management": true, "setup": true,
	"login": true, "logout": true, "metrics": true, "domains": true,
	"users": true, "account": true, "audit": true,
}

// cleanName trims a display name and checks it is present, printable and
// not longer than MaxNameLength characters.
func cleanName(s string) (string, string) { return cleanLabel(s, "Name", MaxNameLength) }

// cleanLabel trims a required one-line label (a name, a secret's
// description) and checks it is present, printable and at most max
// characters; field names the label in the messages.
func cleanLabel(s, field string, max int) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return s, field + " is required."
	case utf8.RuneCountInString(s) > max:
		return s, fmt.Sprintf("%s must be at most %d characters.", field, max)
	case hasControl(s):
		return s, field + " must not contain control characters."
	}
	return s, ""
}

// cleanDescription trims an optional description and bounds its length.
func cleanDescription(s string) (string, string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxDescriptionLength {
		return s, "Description must be at most 500 characters."
	}
	return s, ""
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// foldLetters writes letters that have no decomposition into a base letter
// plus accents the way people transliterate them.
var foldLetters = strings.NewReplacer(
	"ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ð", "d", "þ", "th", "ı", "i",
)

// transliterate drops accents ("Ünïcødé" → "unicode"): the name is
// decomposed (NFD) and its combining marks removed, by x/text.
func transliterate(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, foldLetters.Replace(strings.ToLower(s)))
	if err != nil {
		return s
	}
	return out
}

// DeriveHRID turns a name into a URL-safe identifier: lower-case letters and
// digits separated by single hyphens ("My Domain!" → "my-domain"), accented
// letters transliterated ("Ünïcødé" → "unicode") rather than dropped.
func DeriveHRID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range transliterate(name) {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	h := strings.TrimSuffix(b.String(), "-")
	if len(h) > MaxHRIDLength {
		h = strings.TrimSuffix(h[:MaxHRIDLength], "-")
	}
	return h
}

// ValidateHRID checks an identifier used as a URL path segment.
func ValidateHRID(h string) string {
	switch {
	case h == "":
		return "URL identifier is required."
	case len(h) > MaxHRIDLength:
		return "URL identifier must be at most 64 characters."
	case !hridPattern.MatchString(h):
		return "Use lower-case letters, digits and single hyphens (for example my-domain)."
	case reservedHRIDs[h]:
		return "This identifier is reserved; choose another."
	}
	return ""
}

// NormalizeEmail trims and lower-cases an address and checks that it is a
// plain address (no display name).
func NormalizeEmail(s string) (string, string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return s, "Email is required."
	}
	if len(s) > MaxEmailLength {
		return s, "Email must be at most 254 characters."
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") && !strings.HasSuffix(s, "@localhost") {
		return s, "Enter a valid email address, such as name@example.com."
	}
	return s, ""
}

// ValidatePassword applies the password policy: 12 to 256 characters, not
// all whitespace, and not the account's email address. Length beats
// composition rules (NIST SP 800-63B).
func ValidatePassword(password, email string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return "Password must be at least 12 characters."
	case n > MaxPasswordLength:
		return "Password must be at most 256 characters."
	case strings.TrimSpace(password) == "":
		return "Password must not be only spaces."
	case email != "" && strings.EqualFold(strings.TrimSpace(password), email):
		return "Password must not be your email address."
	}
	return ""
}
