package models

import (
	"fmt"
	"time"
)

// NoticeDateFormat is how expiry dates are written in notices, e-mails and
// logs.
const NoticeDateFormat = "2006-01-02 15:04 UTC"

// NoticeText is what a notice is about, from which each kind's wording
// (LedgerKind.Title and Message) makes up the words every channel uses.
type NoticeText struct {
	Event string
	// Threshold is the days of the threshold crossed; 0 for "expired".
	Threshold int
	ExpiresAt time.Time
	// SubjectName is the subject's name (a secret's description).
	SubjectName, ApplicationName, DomainName string
	// At is when the notice was given, for "in 3 days".
	At time.Time
}

// Expired reports whether the notice says the subject has expired.
func (t NoticeText) Expired() bool { return t.Threshold == 0 }

// ExpiryDate is the expiry written for people.
func (t NoticeText) ExpiryDate() string { return t.ExpiresAt.UTC().Format(NoticeDateFormat) }

// Remaining says how long the subject had left when the notice was given,
// in the words of RelativeTime: "in 4 days", "in 1 day 23 hours".
func (t NoticeText) Remaining() string {
	if !t.ExpiresAt.After(t.At) {
		return "now"
	}
	return RelativeTime(t.ExpiresAt, t.At)
}

// ClientSecretTitle is a client-secret notice's one-line summary (console
// notices, log lines, webhooks).
func ClientSecretTitle(t NoticeText) string { return appCredentialTitle("Client secret", t) }

// appCredentialTitle is the one-line summary of a notice about one of an
// application's credentials, what naming its kind ("Client secret").
func appCredentialTitle(what string, t NoticeText) string {
	if t.Expired() {
		return fmt.Sprintf("%s “%s” of %s has expired", what, t.SubjectName, t.ApplicationName)
	}
	return fmt.Sprintf("%s “%s” of %s expires %s", what, t.SubjectName, t.ApplicationName, t.Remaining())
}

// ClientSecretMessage is a client-secret console notice's text.
func ClientSecretMessage(t NoticeText) string {
	if t.Expired() {
		return fmt.Sprintf("The client secret “%s” of application %s in domain %s expired on %s. "+
			"Clients still using it can no longer authenticate: renew it, or create a new secret and delete this one.",
			t.SubjectName, t.ApplicationName, t.DomainName, t.ExpiryDate())
	}
	return fmt.Sprintf("The client secret “%s” of application %s in domain %s expires on %s (%s). "+
		"Renew it, or create a new secret and move its clients over, before then.",
		t.SubjectName, t.ApplicationName, t.DomainName, t.ExpiryDate(), t.Remaining())
}
