package notify

import (
	"fmt"
	"strings"
	"time"

	"latchkey/models"
)

// dateFormat is how expiry dates are written in notices, e-mails and logs.
const dateFormat = "2006-01-02 15:04 UTC"

// notice is one delivery with the words and links every channel uses.
type notice struct {
	models.Delivery
	// Path is the console path of the secret's tab; Link is the same as an
	// absolute URL (server.publicURL + Path).
	Path, Link string
	// Now is when the notice is delivered, for "in 3 days".
	Now time.Time
}

func newNotice(d models.Delivery, publicURL string, now time.Time) notice {
	path := "/domains/" + d.DomainID + "/applications/" + d.ApplicationID + "/secrets"
	return notice{Delivery: d, Path: path, Link: strings.TrimSuffix(publicURL, "/") + path, Now: now}
}

// Expired reports whether the notice says the secret has expired.
func (n notice) Expired() bool { return n.Event == models.NoticeExpired }

// ExpiryDate is the expiry written for people.
func (n notice) ExpiryDate() string { return n.ExpiresAt.UTC().Format(dateFormat) }

// Remaining says how long the secret has left, as of delivery: "in 4 days".
func (n notice) Remaining() string {
	left := n.ExpiresAt.Sub(n.Now)
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

// Title is the one-line summary (console notices, log lines).
func (n notice) Title() string {
	if n.Expired() {
		return fmt.Sprintf("Client secret “%s” of %s has expired", n.SecretDescription, n.ApplicationName)
	}
	return fmt.Sprintf("Client secret “%s” of %s expires %s", n.SecretDescription, n.ApplicationName, n.Remaining())
}

// Message is the console notice's text.
func (n notice) Message() string {
	if n.Expired() {
		return fmt.Sprintf("The client secret “%s” of application %s in domain %s expired on %s. "+
			"Clients still using it can no longer authenticate: renew it, or create a new secret and delete this one.",
			n.SecretDescription, n.ApplicationName, n.DomainName, n.ExpiryDate())
	}
	return fmt.Sprintf("The client secret “%s” of application %s in domain %s expires on %s (%s). "+
		"Renew it, or create a new secret and move its clients over, before then.",
		n.SecretDescription, n.ApplicationName, n.DomainName, n.ExpiryDate(), n.Remaining())
}

// subject fills in an e-mail subject template: ${applicationName},
// ${domainName}, ${secretName} and ${expiryDate}, as in Gravitee's
// expiryEmailSubject.
func (n notice) subject(template string) string {
	return strings.NewReplacer(
		"${applicationName}", n.ApplicationName,
		"${domainName}", n.DomainName,
		"${secretName}", n.SecretDescription,
		"${expiryDate}", n.ExpiryDate(),
	).Replace(template)
}
