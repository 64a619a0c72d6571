package notify

import (
	"strings"
	"time"

	"latchkey/models"
	"latchkey/models/ledger"
)

// notice is one delivery with its subject, the words and links every
// channel uses.
type notice struct {
	ledger.Delivery
	// Subject is what the notice is about: as it is now when delivering,
	// as read when deciding.
	Subject models.Subject
	source  *configured
	wording *Wording
	// Path is the console path of the subject's page; Link is the same as
	// an absolute URL (server.publicURL + Path).
	Path, Link string
	// Now is when the notice is delivered, for "in 3 days".
	Now time.Time
}

func newNotice(d ledger.Delivery, sub models.Subject, src *configured, publicURL string, now time.Time) notice {
	path := src.wording.Path(sub)
	return notice{Delivery: d, Subject: sub, source: src, wording: src.wording, Path: path,
		Link: strings.TrimSuffix(publicURL, "/") + path, Now: now}
}

// text is what the notice is about (models.NoticeText), as of delivery.
func (n *notice) text() models.NoticeText {
	return models.NoticeText{
		Event: n.Event, Threshold: n.Threshold, ExpiresAt: n.ExpiresAt, At: n.Now,
		SubjectName: n.Subject.Name, ApplicationName: n.Subject.ApplicationName, DomainName: n.Subject.DomainName,
	}
}

// Expired reports whether the notice says the subject has expired.
func (n *notice) Expired() bool { return n.Threshold == 0 }

// ExpiryDate is the expiry written for people.
func (n *notice) ExpiryDate() string { return n.text().ExpiryDate() }

// Remaining says how long the subject has left, as of delivery: "in 4 days".
func (n *notice) Remaining() string { return n.text().Remaining() }

// Title is the one-line summary (log lines, webhooks), in the kind's words.
func (n *notice) Title() string { return n.source.kind.Title(n.text()) }
