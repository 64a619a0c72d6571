package models

import (
	"fmt"
	"time"
)

// NoticeDateFormat is how expiry dates are written in notices, e-mails and
// logs.
const NoticeDateFormat = "2006-01-02 15:04 UTC"

// NoticeText is what a notice says: the words every channel uses, made up
// from the event, the expiry and the names.
type NoticeText struct {
	Event                                          string
	ExpiresAt                                      time.Time
	SecretDescription, ApplicationName, DomainName string
	// At is when the notice was given, for "in 3 days".
	At time.Time
}

// Expired reports whether the notice says the secret has expired.
func (t NoticeText) Expired() bool { return t.Event == NoticeExpired }

// ExpiryDate is the expiry written for people.
func (t NoticeText) ExpiryDate() string { return t.ExpiresAt.UTC().Format(NoticeDateFormat) }

// Remaining says how long the secret had left when the notice was given:
// "in 4 days".
func (t NoticeText) Remaining() string {
	left := t.ExpiresAt.Sub(t.At)
	days := int(left / (24 * time.Hour))
	switch {
	case left <= 0:
		return "now"
	case days == 0:
		return "in less than a day"
	case days == 1:
		return "in 1 day"
	}
	return fmt.Sprintf("in %d days", days)
}

// Title is the one-line summary (console notices, log lines, webhooks).
func (t NoticeText) Title() string {
	if t.Expired() {
		return fmt.Sprintf("Client secret “%s” of %s has expired", t.SecretDescription, t.ApplicationName)
	}
	return fmt.Sprintf("Client secret “%s” of %s expires %s", t.SecretDescription, t.ApplicationName, t.Remaining())
}

// Message is the console notice's text.
func (t NoticeText) Message() string {
	if t.Expired() {
		return fmt.Sprintf("The client secret “%s” of application %s in domain %s expired on %s. "+
			"Clients still using it can no longer authenticate: renew it, or create a new secret and delete this one.",
			t.SecretDescription, t.ApplicationName, t.DomainName, t.ExpiryDate())
	}
	return fmt.Sprintf("The client secret “%s” of application %s in domain %s expires on %s (%s). "+
		"Renew it, or create a new secret and move its clients over, before then.",
		t.SecretDescription, t.ApplicationName, t.DomainName, t.ExpiryDate(), t.Remaining())
}

// SecretsPath is the console path of an application's secrets tab, where
// notices link to.
func SecretsPath(domainID, applicationID string) string {
	return "/domains/" + domainID + "/applications/" + applicationID + "/secrets"
}
