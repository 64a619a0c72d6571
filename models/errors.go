package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"sort"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// Code classifies an error for the people and programs that see it. The set
// is closed: web/ maps each code to a status once, for pages and for JSON.
type Code string

// The codes. An error without one (ErrorCode returns "") is internal: its
// text is logged, never shown.
const (
	// CodeInvalid is input that breaks a rule; the caller can fix it.
	CodeInvalid Code = "invalid"
	// CodeConflict is input that clashes with stored data (a name in use).
	CodeConflict Code = "conflict"
	// CodeNotFound is a record that does not exist, or not where it was
	// looked for.
	CodeNotFound Code = "not_found"
	// CodeForbidden is an action the caller may not take.
	CodeForbidden Code = "forbidden"
	// CodeLimit is a count that would pass its maximum, or a change that
	// would leave less than the minimum (an application's last secret).
	CodeLimit Code = "limit"
	// CodeStale is a change made from a state that is no longer current:
	// another change of the same record won meanwhile. Nothing was
	// changed; the caller may look again and retry.
	CodeStale Code = "stale"
	// CodeUnavailable is a database that cannot be reached or did not
	// answer in time; trying again later may work.
	CodeUnavailable Code = "unavailable"
)

// Error is a rule error: its code, the message for the Management API
// (Gravitee's text, word for word, where Gravitee has one) and, optionally,
// the console's wording and messages per field.
type Error struct {
	Code Code
	// Message is the API's text.
	Message string
	// Console is the console's wording of the same rule, when it differs
	// from Message.
	Console string
	// Fields maps a form field to its message, as the console shows it.
	Fields map[string]string
	// APIFields maps an API body field to its message, when the API names
	// or words the fields differently from the console.
	APIFields map[string]string
}

// Error is for logs: the console's fields and messages when the error has
// fields (as FieldErrors words them), its Message otherwise.
func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return FieldErrors(e.Fields).Error()
	}
	return e.Message
}

// ErrorCode returns the error's code.
func (e *Error) ErrorCode() Code { return e.Code }

// ConsoleText is the message the console shows for the error as a whole.
func (e *Error) ConsoleText() string {
	if e.Console != "" {
		return e.Console
	}
	return e.Message
}

// coded is any error that knows its code.
type coded interface{ ErrorCode() Code }

// ErrorCode classifies any error: the code of the first coded error in its
// chain, CodeUnavailable for a database that cannot be reached, and "" for
// an internal error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var c coded
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	if unavailable(err) {
		return CodeUnavailable
	}
	return ""
}

// unavailable reports whether err says the database could not be reached or
// did not answer in time, rather than that a statement was wrong.
func unavailable(err error) bool {
	var (
		pg   *pgconn.PgError
		conn *pgconn.ConnectError
		op   *net.OpError
		lite sqlite3.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return true
	case errors.As(err, &conn), errors.As(err, &op):
		return true
	case errors.As(err, &pg):
		// 08: connection exception; 57014: statement timeout (or a
		// cancelled query); 57P01..57P03: the server is shutting down or
		// starting.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57014" || strings.HasPrefix(pg.Code, "57P")
	case errors.As(err, &lite):
		return lite.Code == sqlite3.ErrBusy || lite.Code == sqlite3.ErrLocked
	}
	return pgconn.Timeout(err)
}

// ErrNotFound is returned when a record does not exist, or exists but lies
// outside the parent it was asked for (a foreign id is reported the same way
// as an unknown one, so ids cannot be probed).
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

// ErrSetupDone is returned when the one-time setup is attempted after an
// administrator already exists.
var ErrSetupDone = &Error{Code: CodeNotFound, Message: "setup has already been completed"}

// ErrInvalidSetupToken is returned for a missing, wrong or used setup token.
var ErrInvalidSetupToken = &Error{Code: CodeNotFound, Message: "the setup link is invalid or has already been used"}

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

// ErrorCode is CodeInvalid: the input breaks a rule.
func (f FieldErrors) ErrorCode() Code { return CodeInvalid }

// AsFieldErrors extracts the per-field messages from err, if it carries
// them: FieldErrors, or a rule Error with Fields.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var f FieldErrors
	if errors.As(err, &f) {
		return f, true
	}
	var e *Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return FieldErrors(e.Fields), true
	}
	return nil, false
}
