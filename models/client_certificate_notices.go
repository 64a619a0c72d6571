package models

import (
	"context"
	"fmt"
	"time"
)

// Client certificates are the notifier's third source (issue 16): the
// notice ledger's kind "client_certificate" (migration 00092), its
// subjects and its wording. They are told to the same people as an
// application's client secrets: the domain's owners and the application's.

// Client certificate notice events: in the ledger, as webhook event types
// and in the X-Latchkey-Event header.
const (
	NoticeClientCertificateWillExpire = "CLIENT_CERTIFICATE_WILL_EXPIRE"
	NoticeClientCertificateExpired    = "CLIENT_CERTIFICATE_EXPIRED"
)

// KindClientCertificate is the ledger kind of client certificates. A
// client certificate's expiry never changes, so its rows stay valid until
// it is deleted (the foreign key's ON DELETE CASCADE).
var KindClientCertificate = LedgerKind{
	Name: "client_certificate", Column: "client_certificate_id", Table: "client_certificates",
	Subjects: func(ctx context.Context, s *Store, ids []string) (map[string]Subject, error) {
		return s.credentialSubjects(ctx, "client_certificates", ids)
	},
	Title: ClientCertificateTitle, Message: ClientCertificateMessage,
}

// DueClientCertificates returns up to limit client certificates, as
// subjects of kind KindClientCertificate, that expire at or before horizon,
// ordered by (expiresAt, id) and starting after the cursor (nil: from the
// start), leaving out those whose "expired" notice is decided, as
// DueSecrets does.
func (s *Store) DueClientCertificates(ctx context.Context, horizon time.Time, after *DueCursor, limit int) ([]Subject, error) {
	rows, err := dueCredentialsQuery(s.db.WithContext(ctx), KindClientCertificate, NoticeClientCertificateExpired, horizon, after, limit).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanSubjects(rows, limit)
}

// ClientCertificateLedgerRows returns every ledger row of a client
// certificate, oldest first; for tests and the command line.
func (s *Store) ClientCertificateLedgerRows(ctx context.Context, id string) ([]NotificationLedger, error) {
	var out []NotificationLedger
	err := s.db.WithContext(ctx).Where("client_certificate_id = ?", id).Order("id").Find(&out).Error
	return out, err
}

// ClientCertificateTitle is a client certificate notice's one-line summary
// (console notices, log lines, webhooks).
func ClientCertificateTitle(t NoticeText) string { return appCredentialTitle("Client certificate", t) }

// ClientCertificateMessage is a client certificate console notice's text.
func ClientCertificateMessage(t NoticeText) string {
	if t.Expired() {
		return fmt.Sprintf("The client certificate “%s” of application %s in domain %s expired on %s. "+
			"Clients signing with its key can no longer authenticate (private_key_jwt): add a new certificate and delete this one.",
			t.SubjectName, t.ApplicationName, t.DomainName, t.ExpiryDate())
	}
	return fmt.Sprintf("The client certificate “%s” of application %s in domain %s expires on %s (%s). "+
		"Add a new certificate, move its clients to the new key, then delete this one, before then.",
		t.SubjectName, t.ApplicationName, t.DomainName, t.ExpiryDate(), t.Remaining())
}
