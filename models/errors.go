package models

import (
	"errors"
	"sort"
	"strings"
)

// ErrNotFound is returned when a record does not exist, or exists but lies
// outside the parent it was asked for (a foreign id is reported the same way
// as an unknown one, so ids cannot be probed).
var ErrNotFound = errors.New("not found")

// ErrSetupDone is returned when the one-time setup is attempted after an
// administrator already exists.
var ErrSetupDone = errors.New("setup has already been completed")

// ErrInvalidSetupToken is returned for a missing, wrong or used setup token.
var ErrInvalidSetupToken = errors.New("the setup link is invalid or has already been used")

// FieldErrors maps an input field's name to a message for the person who
// filled it in. It is the error returned by every validation in this package,
// so forms can show each message next to its field.
type FieldErrors map[string]string

// Error joins the messages in field order so logs and API bodies are stable.
func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+f[k])
	}
	return strings.Join(parts, "; ")
}

// AsFieldErrors extracts FieldErrors from err, if it carries them.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var f FieldErrors
	if errors.As(err, &f) {
		return f, true
	}
	return nil, false
}
