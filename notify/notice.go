package notify

import (
	"strings"
	"time"

	"latchkey/models"
)

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
	path := models.SecretsPath(d.DomainID, d.ApplicationID)
	return notice{Delivery: d, Path: path, Link: strings.TrimSuffix(publicURL, "/") + path, Now: now}
}

// text is what the notice says (models.NoticeText), as of delivery.
func (n notice) text() models.NoticeText {
	return models.NoticeText{
		Event: n.Event, ExpiresAt: n.ExpiresAt, At: n.Now,
		SecretDescription: n.SecretDescription, ApplicationName: n.ApplicationName, DomainName: n.DomainName,
	}
}

// Expired reports whether the notice says the secret has expired.
func (n notice) Expired() bool { return n.text().Expired() }

// ExpiryDate is the expiry written for people.
func (n notice) ExpiryDate() string { return n.text().ExpiryDate() }

// Remaining says how long the secret has left, as of delivery: "in 4 days".
func (n notice) Remaining() string { return n.text().Remaining() }

// Title is the one-line summary (log lines, webhooks).
func (n notice) Title() string { return n.text().Title() }

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
