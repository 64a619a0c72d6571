package notify

import (
	"context"
	"embed"
	htmltemplate "html/template"
	"log/slog"
	"strings"
	texttemplate "text/template"
	"time"

	"latchkey/models"
)

// The certificates: the second source, under services.notifier.certificate.
// Due are the certificates that still sign or may (not superseded by a
// rotation); a current system certificate only once its automatic
// rotation is overdue (see models.Store.DueCertificates), since the
// rotation, with its own notice (NotifyRotations), comes first. Recipients
// are the domain's owners and the owners of the applications that chose
// the certificate, each once.

func init() {
	registerSource("certificate", func(store *models.Store) Source { return &certificatesSource{store: store} })
}

//go:embed templates/certificate.txt templates/certificate.html
var certificateTemplates embed.FS

// certificateWording is how certificate notices read.
var certificateWording = &Wording{
	WillExpire: models.NoticeCertificateWillExpire, Expired: models.NoticeCertificateExpired,
	Rotated:      models.NoticeCertificateRotated,
	Path:         func(s models.Subject) string { return CertificatesPath(s.DomainID) },
	EmailSubject: certificateEmailSubject,
	MailData:     func(n *notice, name string) any { return newCertificateMail(n, name) },
	Text:         texttemplate.Must(texttemplate.ParseFS(certificateTemplates, "templates/certificate.txt")),
	HTML:         htmltemplate.Must(htmltemplate.ParseFS(certificateTemplates, "templates/certificate.html")),
	Webhook:      func(n *notice) any { return newCertificateEvent(n) },
	LogAttrs: func(attrs []slog.Attr, n *notice) []slog.Attr {
		s := &n.Subject
		return append(attrs,
			slog.String("domain", s.DomainName), slog.String("certificate", s.Name),
			slog.String("certificateId", s.ID), slog.String("expiresAt", n.ExpiryDate()),
			slog.String("link", n.Link),
		)
	},
}

// certificatesSource pages through the certificates due for a notice.
type certificatesSource struct{ store *models.Store }

func (*certificatesSource) Kind() models.LedgerKind { return models.KindCertificate }
func (*certificatesSource) Wording() *Wording       { return certificateWording }

func (s *certificatesSource) Due(ctx context.Context, horizon time.Time, after *models.DueCursor, limit int) ([]models.Subject, error) {
	return s.store.DueCertificates(ctx, s.store.Now(), horizon, after, limit)
}

// CertificatesPath is the console path of a domain's certificates page,
// where certificate notices link to.
func CertificatesPath(domainID string) string {
	return "/domains/" + domainID + "/settings/certificates"
}

// certificateEmailSubject fills in an e-mail subject template:
// ${certificateName}, ${domainName} and ${expiryDate}.
func certificateEmailSubject(template string, n *notice) string {
	return strings.NewReplacer(
		"${certificateName}", n.Subject.Name,
		"${domainName}", n.Subject.DomainName,
		"${expiryDate}", n.ExpiryDate(),
	).Replace(template)
}

// certificateMail is what the certificate e-mail templates see.
type certificateMail struct {
	// Name is the recipient's.
	Name                               string
	Title, CertificateName, DomainName string
	ExpiryDate, Remaining, Link        string
	Expired, Rotated                   bool
}

func newCertificateMail(n *notice, name string) certificateMail {
	return certificateMail{
		Name: name, Title: n.Title(), CertificateName: n.Subject.Name, DomainName: n.Subject.DomainName,
		ExpiryDate: n.ExpiryDate(), Remaining: n.Remaining(), Link: n.Link,
		Expired: n.Expired(), Rotated: n.Event == models.NoticeCertificateRotated,
	}
}

// CertificateEvent is the JSON body POSTed to webhooks about a
// certificate.
type CertificateEvent struct {
	// ID identifies the notice for this URL; retries keep it.
	ID string `json:"id"`
	// Type is CERTIFICATE_WILL_EXPIRE, CERTIFICATE_EXPIRED or
	// CERTIFICATE_ROTATED (the certificate is then the new one).
	Type string `json:"type"`
	// ThresholdDays is the threshold crossed ("will expire" only).
	ThresholdDays int       `json:"thresholdDays,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	Domain        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		HRID string `json:"hrid"`
	} `json:"domain"`
	Certificate struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		// ExpiresAt is RFC 3339; ExpiresAtMillis the same instant in
		// epoch milliseconds, as the Management API writes times.
		ExpiresAt       time.Time `json:"expiresAt"`
		ExpiresAtMillis int64     `json:"expiresAtMillis"`
	} `json:"certificate"`
	// Link opens the domain's certificates in the console.
	Link    string `json:"link"`
	Summary string `json:"summary"`
}

func newCertificateEvent(n *notice) CertificateEvent {
	e := CertificateEvent{ID: webhookID(n), Type: n.Event, CreatedAt: n.Now.UTC(), Link: n.Link, Summary: n.Title()}
	if n.Event == models.NoticeCertificateWillExpire {
		e.ThresholdDays = n.Threshold
	}
	s := &n.Subject
	e.Domain.ID, e.Domain.Name, e.Domain.HRID = s.DomainID, s.DomainName, s.DomainHRID
	e.Certificate.ID, e.Certificate.Name = s.ID, s.Name
	e.Certificate.ExpiresAt, e.Certificate.ExpiresAtMillis = n.ExpiresAt.UTC(), n.ExpiresAt.UnixMilli()
	return e
}
