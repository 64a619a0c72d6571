package models

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Actor is who asks for a change, and from where: the audit trail's actor.
// A Management API request carries its token's id; a console request none.
type Actor struct {
	UserID, Email string
	// TokenID is the API token that authenticated the request.
	TokenID  string
	ClientIP string
}

// audited reports whether changes by a are recorded. The zero Actor is no
// one: a write made outside any request (a test's fixture, the command
// line's user creation) is not audited, as it never was.
func (a Actor) audited() bool { return a != Actor{} }

// viaAPI reports whether the change came through the Management API, whose
// refusals are worded as the API words them (Gravitee's texts).
func (a Actor) viaAPI() bool { return a.TokenID != "" }

// event stamps ev with the actor, unless ev names its actor itself (a
// sign-in names the person who signed in).
func (a Actor) event(ev AuditEvent) AuditEvent {
	if ev.ActorID == "" && ev.ActorEmail == "" {
		ev.ActorID, ev.ActorEmail = a.UserID, a.Email
	}
	ev.ClientIP = a.ClientIP
	return ev
}

// writeTimeout bounds a write once it is detached from its request.
const writeTimeout = 30 * time.Second

// write runs fn in one transaction, the change and its audit event
// together. A request cancelled before the write starts changes nothing;
// once started, the write runs to its end even if the client goes away
// (detached from the request's cancellation, bounded by writeTimeout), so a
// committed change never lacks its event and a half-sent answer never
// undoes it.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	return s.db.WithContext(ctx).Transaction(fn)
}

// audit stores the actor's audit event inside the change's transaction.
func (s *Store) audit(tx *gorm.DB, actor Actor, ev AuditEvent) error {
	if !actor.audited() {
		return nil
	}
	return tx.Create(s.stamp(actor.event(ev))).Error
}

// stamp fills an event's id and time and fits its free text to the
// columns (PostgreSQL enforces their sizes).
func (s *Store) stamp(ev AuditEvent) *AuditEvent {
	ev.ID = newID()
	ev.CreatedAt = s.now()
	ev.TargetName = truncateRunes(ev.TargetName, 254)
	ev.ActorEmail = truncateRunes(ev.ActorEmail, 254)
	ev.Detail = truncateRunes(ev.Detail, 1000)
	if ev.Outcome == "" {
		ev.Outcome = OutcomeSuccess
	}
	return &ev
}

// refused records the FAILURE event of a change a rule refused, in its own
// short write after the change's rollback, and returns err. Errors without
// a rule code (internal ones) record nothing: nobody was refused.
func (s *Store) refused(ctx context.Context, actor Actor, ev AuditEvent, err error) error {
	switch ErrorCode(err) {
	case CodeInvalid, CodeConflict, CodeLimit:
	default:
		return err
	}
	if !actor.audited() {
		return err
	}
	ev.Outcome = OutcomeFailure
	if actor.viaAPI() {
		ev.Detail = APIText(err)
	} else {
		ev.Detail = ConsoleText(err)
	}
	if werr := s.write(context.WithoutCancel(ctx), func(tx *gorm.DB) error { return s.audit(tx, actor, ev) }); werr != nil {
		// A refusal must not go unrecorded: fail the request (and log it)
		// rather than answer as if all was well.
		return fmt.Errorf("record the refusal %q: %w", err.Error(), werr)
	}
	return err
}

// ConsoleText is how the console words a rule error as a whole: its
// console wording, or its only field's message.
func ConsoleText(err error) string {
	var (
		e     *Error
		limit *LimitError
		fe    FieldErrors
	)
	switch {
	case errors.As(err, &e):
		if e.Console == "" && len(e.Fields) == 1 {
			for _, m := range e.Fields {
				return m
			}
		}
		return e.ConsoleText()
	case errors.As(err, &limit):
		return limit.ConsoleText()
	case errors.As(err, &fe):
		if len(fe) == 1 {
			for _, m := range fe {
				return m
			}
		}
	}
	return err.Error()
}

// APIText is how the Management API words a rule error: the rule's
// message, or the fields' messages joined in field order.
func APIText(err error) string {
	var (
		e  *Error
		fe FieldErrors
	)
	switch {
	case errors.As(err, &e):
		return e.Message
	case errors.As(err, &fe):
		return fe.Joined()
	}
	return err.Error()
}

// Joined joins the messages (not the field names) in field order, each
// message saying what to fix.
func (f FieldErrors) Joined() string { return JoinMessages(f) }

// JoinMessages joins per-field messages in field order.
func JoinMessages(fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msgs := make([]string, 0, len(keys))
	for _, k := range keys {
		msgs = append(msgs, fields[k])
	}
	return strings.Join(msgs, " ")
}
