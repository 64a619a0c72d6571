package notify

import (
	"context"
	"embed"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"latchkey/models"
)

// The client certificates (private_key_jwt keys): the third source, under
// services.notifier.client-certificate. They belong to an application as
// its secrets do, so their notices go to the same people (the domain's
// owners and the application's owner) and link to the same tab.

func init() {
	registerSource("client-certificate", func(store *models.Store) Source { return &clientCertificatesSource{store: store} })
}

//go:embed templates/client_certificate.txt templates/client_certificate.html
var clientCertificateTemplates embed.FS

// clientCertificateWording is how client certificate notices read. The
// e-mails see what a secret's do (secretMail: the description is the
// certificate's); the webhook names the credential clientCertificate.
var clientCertificateWording = &Wording{
	WillExpire: models.NoticeClientCertificateWillExpire, Expired: models.NoticeClientCertificateExpired,
	Path:         func(s models.Subject) string { return SecretsPath(s.DomainID, s.ApplicationID) },
	EmailSubject: clientCertificateEmailSubject,
	MailData:     func(n *notice, name string) any { return newSecretMail(n, name) },
	Text:         texttemplate.Must(texttemplate.ParseFS(clientCertificateTemplates, "templates/client_certificate.txt")),
	HTML:         htmltemplate.Must(htmltemplate.ParseFS(clientCertificateTemplates, "templates/client_certificate.html")),
	Webhook:      func(n *notice) any { return newClientCertificateEvent(n) },
	LogAttrs:     appCredentialLogAttrs("clientCertificate", "clientCertificateId"),
}

// clientCertificatesSource pages through the client certificates due for a
// notice.
type clientCertificatesSource struct{ store *models.Store }

func (*clientCertificatesSource) Kind() models.LedgerKind { return models.KindClientCertificate }
func (*clientCertificatesSource) Wording() *Wording       { return clientCertificateWording }

func (s *clientCertificatesSource) Due(ctx context.Context, horizon time.Time, after *models.DueCursor, limit int) ([]models.Subject, error) {
	return s.store.DueClientCertificates(ctx, horizon, after, limit)
}

// clientCertificateEmailSubject fills in an e-mail subject template:
// ${applicationName}, ${domainName}, ${clientCertificateName} and
// ${expiryDate}.
func clientCertificateEmailSubject(template string, n *notice) string {
	return strings.NewReplacer(
		"${applicationName}", n.Subject.ApplicationName,
		"${domainName}", n.Subject.DomainName,
		"${clientCertificateName}", n.Subject.Name,
		"${expiryDate}", n.ExpiryDate(),
	).Replace(template)
}

// ClientCertificateEvent is the JSON body POSTed to webhooks about a
// client certificate: a client secret's Event with the credential under
// clientCertificate instead of secret.
type ClientCertificateEvent struct {
	Event
	// Secret is left out: the credential is ClientCertificate.
	Secret            *struct{}      `json:"secret,omitempty"`
	ClientCertificate credentialJSON `json:"clientCertificate"`
}

// credentialJSON names an expiring credential in a webhook event.
type credentialJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// ExpiresAt is RFC 3339; ExpiresAtMillis the same instant in epoch
	// milliseconds, as the Management API writes times.
	ExpiresAt       time.Time `json:"expiresAt"`
	ExpiresAtMillis int64     `json:"expiresAtMillis"`
}

func newClientCertificateEvent(n *notice) ClientCertificateEvent {
	e := newEvent(n)
	return ClientCertificateEvent{Event: e, ClientCertificate: credentialJSON{
		ID: e.Secret.ID, Name: e.Secret.Name, ExpiresAt: e.Secret.ExpiresAt, ExpiresAtMillis: e.Secret.ExpiresAtMillis}}
}
