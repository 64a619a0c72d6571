package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/certrotate"
	"latchkey/models"
)

// ownCertificate uploads a certificate of the world's domain valid from a
// day ago until expires.
func (w *world) ownCertificate(name string, expires time.Time) *models.Certificate {
	w.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		w.t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: w.clock.Now().Add(-day), NotAfter: expires,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		w.t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := w.store.CreateOwnCertificate(w.ctx, models.Actor{}, w.domain.ID, models.OwnCertificateInput{
		Name:           name,
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// certLedger returns a certificate's ledger rows.
func (w *world) certLedger(id string) []models.NotificationLedger {
	w.t.Helper()
	rows, err := w.store.CertificateLedgerRows(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return rows
}

// certNotices returns a user's console notices about certificates.
func (w *world) certNotices(u *models.User) []models.Notice {
	var out []models.Notice
	for _, n := range w.notices(u) {
		if n.Kind == models.KindCertificate.Name {
			out = append(out, n)
		}
	}
	return out
}

// systemCertificate returns the domain's current system certificate.
func (w *world) systemCertificate() *models.Certificate {
	w.t.Helper()
	certs, err := w.store.Certificates(w.ctx, w.domain.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	for i := range certs {
		if certs[i].Type == models.CertTypeSystem && certs[i].SupersededAt == nil {
			return &certs[i].Certificate
		}
	}
	w.t.Fatal("no current system certificate")
	return nil
}

// An uploaded certificate used by two applications of Bob's warns Alice
// (the domain's owner) and Bob once each, on every channel, with the
// configured subjects; the console names it as it is called now.
func TestCertificateNotices(t *testing.T) {
	h := startHook(t)
	srv := startSMTP(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL)
	w.useSMTP(srv)
	nc := &w.cfg.Services.Notifier.Certificate
	nc.ExpiryEmailSubject = "[${domainName}] ${certificateName} expires on ${expiryDate}"
	nc.ExpiredEmailSubject = "[${domainName}] ${certificateName} expired on ${expiryDate}"
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		t.Fatal(err)
	}
	expires := w.clock.Now().Add(4*day + 2*time.Hour)
	cert := w.ownCertificate("Partner mTLS", expires)
	app2, _, err := w.store.CreateApplication(w.ctx, models.Actor{}, w.domain.ID, models.ApplicationInput{Name: "Ledger API", Type: models.AppTypeService, OwnerID: w.bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{w.app.ID, app2.ID} {
		if err := w.store.SetApplicationCertificate(w.ctx, models.Actor{}, id, &cert.ID); err != nil {
			t.Fatal(err)
		}
	}
	n := w.notifier(nil)
	if !slices.Contains(n.Sources(), "certificate") {
		t.Fatalf("sources = %v, want the certificate source on by default", n.Sources())
	}

	// The dry run lists the notices and changes nothing.
	plan, err := n.DryRun(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var planned []string
	for _, p := range plan {
		if p.Source == "certificate" {
			planned = append(planned, p.Channel+" "+p.Recipient+" "+p.Secret+" "+p.Event)
		}
	}
	slices.Sort(planned)
	want := []string{
		"email Alice Owner <alice@example.com> Partner mTLS CERTIFICATE_WILL_EXPIRE",
		"email Bob Appowner <bob@example.com> Partner mTLS CERTIFICATE_WILL_EXPIRE",
		"log log Partner mTLS CERTIFICATE_WILL_EXPIRE",
		"ui Alice Owner <alice@example.com> Partner mTLS CERTIFICATE_WILL_EXPIRE",
		"ui Bob Appowner <bob@example.com> Partner mTLS CERTIFICATE_WILL_EXPIRE",
		"webhook " + h.srv.URL + " Partner mTLS CERTIFICATE_WILL_EXPIRE",
	}
	if !slices.Equal(planned, want) {
		t.Errorf("dry run plans\n%s\nwant\n%s", strings.Join(planned, "\n"), strings.Join(want, "\n"))
	}
	if rows := w.certLedger(cert.ID); len(rows) != 0 {
		t.Fatalf("the dry run stored %d ledger rows", len(rows))
	}

	w.run(n)
	w.run(n) // nothing twice
	msgs := srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails, want 2 (Alice and Bob, once each)", len(msgs))
	}
	date := expires.Format(models.NoticeDateFormat)
	link := "https://keys.example.com/domains/" + w.domain.ID + "/settings/certificates"
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
		if want := "[Payments] Partner mTLS expires on " + date; m.Subject != want {
			t.Errorf("subject = %q, want %q", m.Subject, want)
		}
		if m.Header.Get("X-Latchkey-Event") != models.NoticeCertificateWillExpire {
			t.Errorf("X-Latchkey-Event = %q", m.Header.Get("X-Latchkey-Event"))
		}
		if s := "The certificate Partner mTLS for the domain Payments will expire at " + date + " (in 4 days 2 hours)"; !strings.Contains(m.Text, s) {
			t.Errorf("text body lacks %q:\n%s", s, m.Text)
		}
		for _, s := range []string{"Partner mTLS", date, "in 4 days 2 hours", `<a href="` + link + `"`} {
			if !strings.Contains(m.HTML, s) {
				t.Errorf("html body lacks %q:\n%s", s, m.HTML)
			}
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"alice@example.com", "bob@example.com"}) {
		t.Errorf("e-mails to %v", to)
	}
	events, _, requests, bad := h.snapshot()
	if requests != 1 || bad != 0 || len(events) != 1 || events[0].Type != models.NoticeCertificateWillExpire ||
		events[0].Link != link || !strings.Contains(events[0].Summary, "Partner mTLS") {
		t.Errorf("webhook: %d requests, %d bad, events %+v", requests, bad, events)
	}
	if got := countLines(w.logs.String(), "certificateId="+cert.ID); got != 1 {
		t.Errorf("%d log lines about the certificate, want 1:\n%s", got, w.logs.String())
	}
	for _, u := range []*models.User{w.alice, w.bob} {
		ns := w.certNotices(u)
		if len(ns) != 1 || ns[0].Title != "The certificate Partner mTLS for the domain Payments will expire in 4 days 2 hours" ||
			ns[0].DomainID != w.domain.ID || ns[0].SubjectID != cert.ID {
			t.Errorf("%s's console notices = %+v", u.Name, ns)
		}
	}
	if ns := w.certNotices(w.carol); len(ns) != 0 {
		t.Errorf("disabled Carol got %d notices", len(ns))
	}

	// Renamed: the console says what it is called now.
	if _, err := w.store.RenameCertificate(w.ctx, models.Actor{}, w.domain.ID, cert.ID, "Partner mTLS 2031"); err != nil {
		t.Fatal(err)
	}
	if ns := w.certNotices(w.alice); len(ns) != 1 || !strings.Contains(ns[0].Title, "Partner mTLS 2031") ||
		!strings.Contains(ns[0].Message, "Partner mTLS 2031") {
		t.Errorf("after the rename, Alice's notices = %+v", ns)
	}

	// Expired: its own subject, once.
	w.clock.Advance(3*day + 12*time.Hour)
	w.run(n)
	w.clock.Advance(day)
	w.run(n)
	w.run(n)
	msgs = srv.messages()
	if len(msgs) != 6 {
		t.Fatalf("%d e-mails in all, want 6 (1 day, expired; two people)", len(msgs))
	}
	if want := "[Payments] Partner mTLS 2031 expired on " + date; msgs[5].Subject != want {
		t.Errorf("expired subject = %q, want %q", msgs[5].Subject, want)
	}
	if !strings.Contains(msgs[5].Text, "expired at "+date) {
		t.Errorf("expired e-mail:\n%s", msgs[5].Text)
	}
	if ns := w.certNotices(w.bob); len(ns) != 3 || ns[2].Title != "The certificate Partner mTLS 2031 for the domain Payments has expired" {
		t.Errorf("Bob's notices = %+v", ns)
	}

	// Deleting it takes its notices off the bell.
	for _, id := range []string{w.app.ID, app2.ID} {
		if err := w.store.SetApplicationCertificate(w.ctx, models.Actor{}, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.store.DeleteCertificate(w.ctx, models.Actor{}, w.domain.ID, cert.ID, nil); err != nil {
		t.Fatal(err)
	}
	if rows, ns := w.certLedger(cert.ID), w.certNotices(w.alice); len(rows) != 0 || len(ns) != 0 {
		t.Errorf("after the deletion: %d ledger rows, Alice's notices %+v", len(rows), ns)
	}
}

// A current system certificate gets no notice while its automatic
// rotation is still to come, gets one once the rotation is overdue, and a
// rotation clears it.
func TestSystemCertificateNoticesAndRotation(t *testing.T) {
	w := newWorld(t)
	w.cfg.Services.Notifier.Certificate.ExpiryThresholds = "60,10"
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		t.Fatal(err)
	}
	n := w.notifier(nil)
	sys := w.systemCertificate()

	// 40 days left: the 60-day threshold is crossed, but the rotation
	// (30 days before expiry) comes first.
	w.clock.Set(sys.ExpiresAt.Add(-40 * day))
	w.run(n)
	if rows := w.certLedger(sys.ID); len(rows) != 0 {
		t.Fatalf("%d ledger rows for a system certificate not yet due for rotation", len(rows))
	}
	// 25 days left and not rotated: the owners are told.
	w.clock.Set(sys.ExpiresAt.Add(-25 * day))
	w.run(n)
	ns := w.certNotices(w.alice)
	if len(ns) != 1 || ns[0].Threshold != 60 || ns[0].SubjectID != sys.ID {
		t.Fatalf("Alice's notices = %+v, want one 60-day notice about %s", ns, sys.Name)
	}
	if got := w.certNotices(w.bob); len(got) != 0 {
		t.Errorf("Bob, whose application is on the default, got %+v", got)
	}

	// Rotated: the superseded certificate's notices go, and it gets no
	// more (it is renewed, a newer one signs).
	if _, err := w.store.RotateCertificate(w.ctx, models.Actor{}, w.domain.ID, models.SystemCertificateInput{}); err != nil {
		t.Fatal(err)
	}
	if rows, ns := w.certLedger(sys.ID), w.certNotices(w.alice); len(rows) != 0 || len(ns) != 0 {
		t.Fatalf("after the rotation: %d ledger rows, notices %+v", len(rows), ns)
	}
	w.clock.Advance(20 * day)
	w.run(n)
	if rows := w.certLedger(sys.ID); len(rows) != 0 {
		t.Errorf("the superseded certificate got %d ledger rows", len(rows))
	}
}

// The automatic rotation tells the domain's owners once on each channel,
// however many times and from however many notifiers it is reported.
func TestRotationNoticeOnce(t *testing.T) {
	srv := startSMTP(t)
	w := newWorld(t)
	w.useSMTP(srv)
	a, b := w.notifier(w.open()), w.notifier(w.open())
	sys := w.systemCertificate()
	w.clock.Set(sys.ExpiresAt.Add(-29 * day))

	worker := certrotate.New(w.store, w.log)
	var rotations []models.Rotation
	worker.OnRotated = func(_ context.Context, rs []models.Rotation) { rotations = rs }
	if _, err := worker.RunOnce(w.ctx); err != nil {
		t.Fatal(err)
	}
	if len(rotations) != 1 || rotations[0].Old.ID != sys.ID {
		t.Fatalf("rotations = %+v", rotations)
	}
	newID := rotations[0].New.ID
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = []*Notifier{a, b}[i%2].NotifyRotations(w.ctx, rotations) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.messages()
	if len(msgs) != 1 || msgs[0].To[0] != "alice@example.com" || msgs[0].Header.Get("X-Latchkey-Event") != models.NoticeCertificateRotated ||
		!strings.Contains(msgs[0].Subject, rotations[0].New.Name) {
		t.Fatalf("e-mails = %+v, want one to Alice about the rotation", msgs)
	}
	ns := w.certNotices(w.alice)
	if len(ns) != 1 || ns[0].Event != models.NoticeCertificateRotated || ns[0].SubjectID != newID ||
		!strings.Contains(ns[0].Title, "was rotated") {
		t.Errorf("Alice's notices = %+v", ns)
	}
	if got := countLines(w.logs.String(), "certificateId="+newID); got != 1 {
		t.Errorf("%d log lines about the rotation, want 1", got)
	}
	// The scheduled runs send nothing more about either certificate.
	w.run(a)
	if rows := w.certLedger(sys.ID); len(rows) != 0 {
		t.Errorf("the rotated certificate got %d ledger rows", len(rows))
	}
	if got := len(srv.messages()); got != 1 {
		t.Errorf("%d e-mails after a scheduled run, want 1", got)
	}

	// Switched off, nothing is told.
	w.cfg.Services.Notifier.Certificate.Enabled = false
	if r, err := w.notifier(nil).NotifyRotations(w.ctx, rotations); err != nil || r != nil {
		t.Errorf("NotifyRotations with the source off = %+v, %v", r, err)
	}
}

// Two notifiers on one database scan the same certificates at the same
// moment, again and again: every notice is delivered once on every
// channel, through a real SMTP server.
func TestTwoInstancesCertificateNoticesOnce(t *testing.T) {
	mail := startSMTP(t)
	w := newWorld(t)
	w.useSMTP(mail)
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		t.Fatal(err)
	}
	var certs []string
	for i := range 12 {
		c := w.ownCertificate(fmt.Sprintf("c%d", i), w.clock.Now().Add(time.Duration(i)*40*time.Hour+time.Hour))
		certs = append(certs, c.ID)
	}
	if err := w.store.SetApplicationCertificate(w.ctx, models.Actor{}, w.app.ID, &certs[3]); err != nil {
		t.Fatal(err)
	}
	a, b := w.notifier(w.open()), w.notifier(w.open())
	a.pageSize, b.pageSize = 5, 5
	for range 4 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, n := range []*Notifier{a, b} {
			wg.Go(func() { _, errs[i] = n.Run(w.ctx) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		w.clock.Advance(3 * day)
	}
	byChannel := map[string]int{}
	for _, id := range certs {
		for _, row := range w.certLedger(id) {
			if row.Status != models.LedgerSent {
				t.Errorf("row %d (%s %s) is %s", row.ID, row.Channel, row.Event, row.Status)
			}
			byChannel[row.Channel]++
		}
	}
	if byChannel[models.ChannelLog] == 0 || byChannel[models.ChannelEmail] != byChannel[models.ChannelUI] {
		t.Fatalf("ledger rows by channel = %v", byChannel)
	}
	if got := len(mail.messages()); got != byChannel[models.ChannelEmail] {
		t.Errorf("%d e-mails for %d e-mail rows", got, byChannel[models.ChannelEmail])
	}
	total := len(w.certNotices(w.alice)) + len(w.certNotices(w.bob))
	if total != byChannel[models.ChannelUI] {
		t.Errorf("%d console notices for %d ui rows", total, byChannel[models.ChannelUI])
	}
	// Bob is told about the certificate his application uses only.
	for _, n := range w.certNotices(w.bob) {
		if n.SubjectID != certs[3] {
			t.Errorf("Bob got a notice about %s", n.SubjectID)
		}
	}
	if got := countLines(w.logs.String(), "certificateId="); got != byChannel[models.ChannelLog] {
		t.Errorf("%d log lines for %d log rows", got, byChannel[models.ChannelLog])
	}
}
