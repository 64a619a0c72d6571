package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Certificates are the notifier's second source (issue 14): the notice
// ledger's kind "certificate", its subjects and its wording.

// Certificate notice events: in the ledger, as webhook event types and in
// the X-Latchkey-Event header.
const (
	NoticeCertificateWillExpire = "CERTIFICATE_WILL_EXPIRE"
	NoticeCertificateExpired    = "CERTIFICATE_EXPIRED"
	// NoticeCertificateRotated tells the domain's owners of an automatic
	// rotation; its subject is the new certificate, threshold 0.
	NoticeCertificateRotated = "CERTIFICATE_ROTATED"
)

// KindCertificate is the ledger kind of certificates. A certificate's
// expiry never changes, so its rows stay valid until it is superseded by a
// rotation (which deletes them, see clearCertificateNotices) or deleted
// (the foreign key's ON DELETE CASCADE).
var KindCertificate = LedgerKind{
	Name: "certificate", Column: "certificate_id", Table: "certificates",
	Subjects: func(ctx context.Context, s *Store, ids []string) (map[string]Subject, error) {
		return s.certificateSubjects(ctx, ids)
	},
	Title: CertificateTitle, Message: CertificateMessage,
}

// certificateColumns selects a certificate as a Subject, from the
// certificate c and its domain d.
func certificateColumns(db *gorm.DB) *gorm.DB {
	return db.Table("certificates AS c").
		Select("c.id, c.name, c.expires_at, d.id AS domain_id, d.name AS domain_name, d.hrid AS domain_hrid").
		Joins("JOIN domains d ON d.id = c.domain_id")
}

// DueCertificates returns up to limit certificates, as subjects of kind
// KindCertificate, that expire at or before horizon, ordered by
// (expiresAt, id) and starting after the cursor (nil: from the start).
// Left out: superseded system certificates (renewed or retired: a newer
// one signs, and rotating cleared their notices), current system
// certificates whose automatic rotation (CertDefaults.AutoRotateBefore
// before expiry) is not due yet at now — the rotation comes before any
// notice would matter, so owners are warned only when it has not happened
// in time — and certificates whose "expired" notice is decided. Each
// subject's Owners are the enabled owners of the applications that chose
// it.
func (s *Store) DueCertificates(ctx context.Context, now, horizon time.Time, after *DueCursor, limit int) ([]Subject, error) {
	q := certificateColumns(s.db.WithContext(ctx)).
		Where("c.superseded_at IS NULL AND c.expires_at <= ?", horizon.UTC()).
		Where("(c.type <> ? OR c.expires_at <= ?)", CertTypeSystem, now.Add(s.CertDefaults.AutoRotateBefore).UTC())
	if after != nil {
		q = q.Where("(c.expires_at, c.id) > (?, ?)", after.ExpiresAt.UTC(), after.ID)
	}
	q = q.Where(`NOT EXISTS (SELECT 1 FROM notification_ledgers l
		WHERE l.certificate_id = c.id AND l.expires_at = c.expires_at AND l.event = ? AND l.certificate_id IS NOT NULL)`, NoticeCertificateExpired)
	return s.scanCertificateSubjects(ctx, q.Order("c.expires_at, c.id").Limit(limit), limit)
}

// certificateSubjects returns the certificates of the given ids as
// subjects, by id.
func (s *Store) certificateSubjects(ctx context.Context, ids []string) (map[string]Subject, error) {
	out := make(map[string]Subject, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		subs, err := s.scanCertificateSubjects(ctx, certificateColumns(s.db.WithContext(ctx)).Where("c.id IN ?", ids[:n]), n)
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			out[sub.ID] = sub
		}
		ids = ids[n:]
	}
	return out, nil
}

// scanCertificateSubjects reads the rows of certificateColumns and adds
// each certificate's application owners.
func (s *Store) scanCertificateSubjects(ctx context.Context, q *gorm.DB, capacity int) ([]Subject, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	out := make([]Subject, 0, capacity)
	for rows.Next() {
		var d Subject
		var exp sql.NullTime
		if err := rows.Scan(&d.ID, &d.Name, &exp, &d.DomainID, &d.DomainName, &d.DomainHRID); err != nil {
			rows.Close()
			return nil, err
		}
		d.ExpiresAt = exp.Time.UTC()
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	var owners []struct {
		CertificateID string
		Recipient
	}
	err = s.db.WithContext(ctx).Table("applications AS a").
		Select("DISTINCT a.certificate_id, u.id, u.email, u.name").
		Joins("JOIN users u ON u.id = a.owner_id").
		Where("a.certificate_id IN ? AND u.disabled = ?", ids, false).
		Order("a.certificate_id, u.name, u.email").Scan(&owners).Error
	if err != nil {
		return nil, err
	}
	byCert := map[string][]Recipient{}
	for _, o := range owners {
		byCert[o.CertificateID] = append(byCert[o.CertificateID], o.Recipient)
	}
	for i := range out {
		out[i].Owners = byCert[out[i].ID]
	}
	return out, nil
}

// clearCertificateNotices deletes the ledger rows of a certificate, and
// with them its console notices: a superseded certificate has nothing left
// to announce. Run inside the rotation's transaction, after the
// conditional update of the certificate, whose row lock (PostgreSQL) waits
// for a notifier transaction that has just decided rows for it, so the
// DELETE sees them.
func clearCertificateNotices(tx *gorm.DB, certID string) error {
	return tx.Exec(`DELETE FROM notification_ledgers WHERE (expires_at, certificate_id) IN
		(SELECT expires_at, id FROM certificates WHERE id = ?) AND certificate_id IS NOT NULL`, certID).Error
}

// CertificateLedgerRows returns every ledger row of a certificate, oldest
// first; for tests and the command line.
func (s *Store) CertificateLedgerRows(ctx context.Context, certID string) ([]NotificationLedger, error) {
	var out []NotificationLedger
	err := s.db.WithContext(ctx).Where("certificate_id = ?", certID).Order("id").Find(&out).Error
	return out, err
}

// CertificateTitle is a certificate notice's one-line summary (console
// notices, log lines, webhooks).
func CertificateTitle(t NoticeText) string {
	switch {
	case t.Event == NoticeCertificateRotated:
		return fmt.Sprintf("The system certificate of the domain %s was rotated: %s", t.DomainName, t.SubjectName)
	case t.Expired():
		return fmt.Sprintf("The certificate %s for the domain %s has expired", t.SubjectName, t.DomainName)
	}
	return fmt.Sprintf("The certificate %s for the domain %s will expire %s", t.SubjectName, t.DomainName, t.Remaining())
}

// CertificateMessage is a certificate console notice's text.
func CertificateMessage(t NoticeText) string {
	switch {
	case t.Event == NoticeCertificateRotated:
		return fmt.Sprintf("The system certificate of the domain %s was rotated automatically before it expired. "+
			"The new certificate %s (expires at %s) is published now and signs for the applications on the domain's default after the refresh delay; "+
			"the old one stays published while tokens it signed may be valid.", t.DomainName, t.SubjectName, t.ExpiryDate())
	case t.Expired():
		return fmt.Sprintf("The certificate %s for the domain %s expired at %s. It no longer signs: "+
			"the applications that chose it are signed for by the domain's fallback certificate or its system certificate. "+
			"Upload a new certificate, or rotate the system key, and choose it for them.", t.SubjectName, t.DomainName, t.ExpiryDate())
	}
	return fmt.Sprintf("The certificate %s for the domain %s will expire at %s (%s). "+
		"Upload a new certificate, or rotate the system key, and move the applications that use it over before then.",
		t.SubjectName, t.DomainName, t.ExpiryDate(), t.Remaining())
}
