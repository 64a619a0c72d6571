package notify

import (
	"context"
	"embed"
	htmltemplate "html/template"
	"log/slog"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"latchkey/models"
)

// The client secrets: the first source, under
// services.notifier.client-secret.

func init() {
	registerSource("client-secret", func(store *models.Store) Source { return &secretsSource{store: store} })
}

//go:embed templates/client_secret.txt templates/client_secret.html
var secretTemplates embed.FS

// secretWording is how client-secret notices read: Gravitee's event names,
// e-mails and webhook events as Latchkey has always sent them.
var secretWording = &Wording{
	WillExpire: models.NoticeWillExpire, Expired: models.NoticeExpired,
	Path:         func(s models.Subject) string { return SecretsPath(s.DomainID, s.ApplicationID) },
	EmailSubject: secretEmailSubject,
	MailData:     func(n *notice, name string) any { return newSecretMail(n, name) },
	Text:         texttemplate.Must(texttemplate.ParseFS(secretTemplates, "templates/client_secret.txt")),
	HTML:         htmltemplate.Must(htmltemplate.ParseFS(secretTemplates, "templates/client_secret.html")),
	Webhook:      func(n *notice) any { return newEvent(n) },
	LogAttrs:     appCredentialLogAttrs("secret", "secretId"),
}

// appCredentialLogAttrs logs a notice about one of an application's
// credentials (a secret, a client certificate): its names, with the
// credential's name and id under nameKey and idKey.
func appCredentialLogAttrs(nameKey, idKey string) func([]slog.Attr, *notice) []slog.Attr {
	return func(attrs []slog.Attr, n *notice) []slog.Attr {
		s := &n.Subject
		return append(attrs,
			slog.String("domain", s.DomainName), slog.String("application", s.ApplicationName),
			slog.String("clientId", s.ClientID), slog.String(nameKey, s.Name),
			slog.String(idKey, s.ID), slog.String("expiresAt", n.ExpiryDate()),
			slog.String("link", n.Link),
		)
	}
}

// secretsSource pages through the client secrets due for a notice.
type secretsSource struct{ store *models.Store }

func (*secretsSource) Kind() models.LedgerKind { return models.KindClientSecret }
func (*secretsSource) Wording() *Wording       { return secretWording }

func (s *secretsSource) Due(ctx context.Context, horizon time.Time, after *models.DueCursor, limit int) ([]models.Subject, error) {
	return s.store.DueSecrets(ctx, horizon, after, limit)
}

// SecretsPath is the console path of an application's secrets tab, where
// client-secret notices link to.
func SecretsPath(domainID, applicationID string) string {
	return "/domains/" + domainID + "/applications/" + applicationID + "/secrets"
}

// secretEmailSubject fills in an e-mail subject template:
// ${applicationName}, ${domainName}, ${secretName} and ${expiryDate}, as in
// Gravitee's expiryEmailSubject.
func secretEmailSubject(template string, n *notice) string {
	return strings.NewReplacer(
		"${applicationName}", n.Subject.ApplicationName,
		"${domainName}", n.Subject.DomainName,
		"${secretName}", n.Subject.Name,
		"${expiryDate}", n.ExpiryDate(),
	).Replace(template)
}

// secretMail is what the client-secret e-mail templates see.
type secretMail struct {
	// Name is the recipient's.
	Name                                                  string
	Title, SecretDescription, ApplicationName, DomainName string
	ClientID, ExpiryDate, Remaining, Link                 string
	Expired                                               bool
}

func newSecretMail(n *notice, name string) secretMail {
	return secretMail{
		Name: name, Title: n.Title(), SecretDescription: n.Subject.Name,
		ApplicationName: n.Subject.ApplicationName, DomainName: n.Subject.DomainName,
		ClientID: n.Subject.ClientID, ExpiryDate: n.ExpiryDate(), Remaining: n.Remaining(), Link: n.Link,
		Expired: n.Expired(),
	}
}

// Event is the JSON body POSTed to webhooks about a client secret.
type Event struct {
	// ID identifies the notice for this URL; retries keep it.
	ID   string `json:"id"`
	Type string `json:"type"` // CLIENT_SECRET_WILL_EXPIRE or CLIENT_SECRET_EXPIRED
	// ThresholdDays is the threshold crossed ("will expire" only).
	ThresholdDays int       `json:"thresholdDays,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	Domain        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		HRID string `json:"hrid"`
	} `json:"domain"`
	Application struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		ClientID string `json:"clientId"`
	} `json:"application"`
	Secret struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		// ExpiresAt is RFC 3339; ExpiresAtMillis the same instant in
		// epoch milliseconds, as the Management API writes times.
		ExpiresAt       time.Time `json:"expiresAt"`
		ExpiresAtMillis int64     `json:"expiresAtMillis"`
	} `json:"secret"`
	// Link opens the application's secrets in the console.
	Link    string `json:"link"`
	Summary string `json:"summary"`
}

func newEvent(n *notice) Event {
	e := Event{
		ID: webhookID(n), Type: n.Event, CreatedAt: n.Now.UTC(),
		Link: n.Link, Summary: n.Title(),
	}
	if !n.Expired() {
		e.ThresholdDays = n.Threshold
	}
	s := &n.Subject
	e.Domain.ID, e.Domain.Name, e.Domain.HRID = s.DomainID, s.DomainName, s.DomainHRID
	e.Application.ID, e.Application.Name, e.Application.ClientID = s.ApplicationID, s.ApplicationName, s.ClientID
	e.Secret.ID, e.Secret.Name = s.ID, s.Name
	e.Secret.ExpiresAt, e.Secret.ExpiresAtMillis = n.ExpiresAt.UTC(), n.ExpiresAt.UnixMilli()
	return e
}

// webhookID identifies a notice for a webhook URL: the same on every
// attempt (header X-Latchkey-Delivery).
func webhookID(n *notice) string { return "lk-notice-" + strconv.FormatUint(n.ID, 10) }
