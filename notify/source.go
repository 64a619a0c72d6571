package notify

import (
	"context"
	htmltemplate "html/template"
	"log/slog"
	texttemplate "text/template"
	"time"

	"github.com/robfig/cron/v3"

	"latchkey/config"
	"latchkey/models"
)

// A Source is a kind of expiring credential the notifier tells people
// about (client secrets, certificates). The scan, the decisions and
// the deliveries are the same for every source; a source says which
// subjects are due and how their notices are worded. Adding one takes a
// file here (the source, registered with registerSource), its settings
// block (config.Config.NotifierSources) and a migration giving the ledger a
// column for its kind (models.LedgerKind).
type Source interface {
	// Kind is the ledger kind of the source's subjects.
	Kind() models.LedgerKind
	// Due returns up to limit subjects whose expiry is at or before
	// horizon, ordered by (expiry, id) and starting after the cursor (nil:
	// from the start). It may leave out subjects whose current expiry has
	// its "expired" notice already: they have nothing left to announce.
	// Each subject names its domain (whose owners are told) and its own
	// owner, if any.
	Due(ctx context.Context, horizon time.Time, after *models.DueCursor, limit int) ([]models.Subject, error)
	// Wording is what the source's notices say, and where they link to.
	Wording() *Wording
}

// Wording is how a source's notices read on each channel. The one-line
// title and the console's text are the ledger kind's (models.LedgerKind),
// since the console makes them up when it shows a notice.
type Wording struct {
	// WillExpire and Expired name the two events: in the ledger, as
	// webhook event types and in the X-Latchkey-Event header.
	WillExpire, Expired string
	// Rotated, when set, names a third event: the notice of an automatic
	// rotation (certificates), whose e-mails have the subject
	// rotatedEmailSubject.
	Rotated string
	// Path is the console path of a subject's page, where notices link to.
	Path func(models.Subject) string
	// EmailSubject fills in a subject template of the source's settings
	// (its ${...} placeholders) for a notice.
	EmailSubject func(template string, n *notice) string
	// MailData is what the e-mail templates see for a notice to a person
	// called name.
	MailData func(n *notice, name string) any
	// Text and HTML are the e-mail bodies.
	Text *texttemplate.Template
	HTML *htmltemplate.Template
	// Webhook is the JSON body posted to webhooks for a notice.
	Webhook func(n *notice) any
	// LogAttrs appends the log line's attributes after the event and
	// threshold.
	LogAttrs func(attrs []slog.Attr, n *notice) []slog.Attr
}

// sourceFactory makes a source for a store.
type sourceFactory struct {
	// key is the source's settings block, services.notifier.<key>.
	key  string
	make func(store *models.Store) Source
}

// sourceFactories are the sources New sets up, in registration order.
var sourceFactories []sourceFactory

// registerSource makes New set up a source with the settings block
// services.notifier.<key>. Source files call it from init.
func registerSource(key string, make func(store *models.Store) Source) {
	sourceFactories = append(sourceFactories, sourceFactory{key, make})
}

// SourceSetup is a source with its settings, as the notifier runs it.
type SourceSetup struct {
	// Key names the settings block (services.notifier.<key>).
	Key      string
	Source   Source
	Settings config.NotifierSource
}

// configured is a source with its parsed settings.
type configured struct {
	Source
	key        string
	enabled    bool
	thresholds []int // days, descending
	schedule   cron.Schedule
	// subjectWillExpire and subjectExpired are the e-mail subject
	// templates.
	subjectWillExpire, subjectExpired string
	kind                              models.LedgerKind
	wording                           *Wording
}

// emailSubject is the subject template for an event's e-mails.
func (c *configured) emailSubject(event string) string {
	switch {
	case event == c.wording.Expired:
		return c.subjectExpired
	case c.wording.Rotated != "" && event == c.wording.Rotated:
		return rotatedEmailSubject
	}
	return c.subjectWillExpire
}

// rotatedEmailSubject is the subject of the automatic rotation's e-mails
// (no setting: Gravitee has none either).
const rotatedEmailSubject = "The system certificate of domain ${domainName} was rotated: ${certificateName}"

// eventFor tells which notice a subject expiring at exp is due at now.
func (c *configured) eventFor(exp, now time.Time) (event string, threshold int, ok bool) {
	left := exp.Sub(now)
	if left <= 0 {
		return c.wording.Expired, 0, true
	}
	for _, d := range c.thresholds { // descending: the last match is the smallest
		if left <= time.Duration(d)*24*time.Hour {
			threshold = d
		}
	}
	if threshold == 0 {
		return "", 0, false
	}
	return c.wording.WillExpire, threshold, true
}
