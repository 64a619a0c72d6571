package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"slices"
	"strings"
	"testing"
	"time"

	"latchkey/models"
	"latchkey/pki"
)

// clientCertificate adds a client certificate to the world's application,
// valid from a day ago until expires.
func (w *world) clientCertificate(description string, expires time.Time) *models.ClientCertificate {
	w.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		w.t.Fatal(err)
	}
	der, err := pki.SelfSign(key, "CN="+description, w.clock.Now().Add(-day), expires)
	if err != nil {
		w.t.Fatal(err)
	}
	cc, err := w.store.AddClientCertificate(w.ctx, models.Actor{}, w.app.ID, models.ClientCertificateInput{
		Description: description, Data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})})
	if err != nil {
		w.t.Fatal(err)
	}
	return cc
}

// clientCertNotices returns a user's console notices about client
// certificates.
func (w *world) clientCertNotices(u *models.User) []models.Notice {
	var out []models.Notice
	for _, n := range w.notices(u) {
		if n.Kind == models.KindClientCertificate.Name {
			out = append(out, n)
		}
	}
	return out
}

// A client certificate about to expire warns the domain's owner (Alice)
// and the application's (Bob) once per threshold and once more when it has
// expired, on every channel, as a client secret would; deleting it takes
// its notices away.
func TestClientCertificateNotices(t *testing.T) {
	h := startHook(t)
	srv := startSMTP(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL)
	w.useSMTP(srv)
	nc := &w.cfg.Services.Notifier.ClientCertificate
	nc.ExpiryEmailSubject = "[${domainName}/${applicationName}] ${clientCertificateName} expires on ${expiryDate}"
	nc.ExpiredEmailSubject = "[${domainName}/${applicationName}] ${clientCertificateName} expired on ${expiryDate}"
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		t.Fatal(err)
	}
	expires := w.clock.Now().Add(4*day + 2*time.Hour).Truncate(time.Second)
	cc := w.clientCertificate("Partner key", expires)
	n := w.notifier(nil)
	if !slices.Contains(n.Sources(), "client-certificate") {
		t.Fatalf("sources = %v, want the client certificate source on by default", n.Sources())
	}

	w.run(n)
	w.run(n) // nothing twice
	msgs := srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d e-mails, want 2 (Alice and Bob, once each)", len(msgs))
	}
	date := expires.Format(models.NoticeDateFormat)
	link := "https://keys.example.com/domains/" + w.domain.ID + "/applications/" + w.app.ID + "/secrets"
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
		if want := "[Payments/Billing API] Partner key expires on " + date; m.Subject != want {
			t.Errorf("subject = %q, want %q", m.Subject, want)
		}
		if m.Header.Get("X-Latchkey-Event") != models.NoticeClientCertificateWillExpire {
			t.Errorf("X-Latchkey-Event = %q", m.Header.Get("X-Latchkey-Event"))
		}
		if s := `The client certificate "Partner key" of application Billing API (domain Payments) will expire on ` + date + " (in 4 days 2 hours)"; !strings.Contains(m.Text, s) {
			t.Errorf("text body lacks %q:\n%s", s, m.Text)
		}
		if !strings.Contains(m.HTML, `<a href="`+link+`"`) {
			t.Errorf("html body lacks the link:\n%s", m.HTML)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"alice@example.com", "bob@example.com"}) {
		t.Errorf("e-mails to %v", to)
	}
	events, _, requests, bad := h.snapshot()
	if requests != 1 || bad != 0 || len(events) != 1 || events[0].Type != models.NoticeClientCertificateWillExpire ||
		events[0].Link != link || !strings.Contains(events[0].Summary, "Partner key") || events[0].ThresholdDays != 5 {
		t.Errorf("webhook: %d requests, %d bad, events %+v", requests, bad, events)
	}
	if got := countLines(w.logs.String(), "clientCertificateId="+cc.ID); got != 1 {
		t.Errorf("%d log lines about the client certificate, want 1:\n%s", got, w.logs.String())
	}
	for _, u := range []*models.User{w.alice, w.bob} {
		ns := w.clientCertNotices(u)
		if len(ns) != 1 || ns[0].Title != "Client certificate “Partner key” of Billing API expires in 4 days 2 hours" ||
			ns[0].SubjectID != cc.ID || ns[0].ApplicationID != w.app.ID {
			t.Errorf("%s's console notices = %+v", u.Name, ns)
		}
	}
	if ns := w.clientCertNotices(w.carol); len(ns) != 0 {
		t.Errorf("disabled Carol got %d notices", len(ns))
	}

	// The 1-day threshold, then expired: each once.
	w.clock.Advance(3*day + 12*time.Hour)
	w.run(n)
	w.clock.Advance(day)
	w.run(n)
	w.run(n)
	msgs = srv.messages()
	if len(msgs) != 6 {
		t.Fatalf("%d e-mails in all, want 6 (5 days, 1 day, expired; two people)", len(msgs))
	}
	if want := "[Payments/Billing API] Partner key expired on " + date; msgs[5].Subject != want {
		t.Errorf("expired subject = %q, want %q", msgs[5].Subject, want)
	}
	if ns := w.clientCertNotices(w.bob); len(ns) != 3 || ns[2].Title != "Client certificate “Partner key” of Billing API has expired" {
		t.Errorf("Bob's notices = %+v", ns)
	}
	rows, err := w.store.ClientCertificateLedgerRows(w.ctx, cc.ID)
	if err != nil || len(rows) == 0 {
		t.Fatalf("ledger rows %d, %v", len(rows), err)
	}

	// A second node sees the same ledger and sends nothing again.
	w.run(w.notifier(w.open()))
	if got := len(srv.messages()); got != 6 {
		t.Fatalf("another node sent again: %d e-mails", got)
	}

	// Deleting it takes its notices off the bell.
	if _, err := w.store.DeleteClientCertificate(w.ctx, models.Actor{}, w.domain.ID, w.app.ID, cc.ID); err != nil {
		t.Fatal(err)
	}
	rows, _ = w.store.ClientCertificateLedgerRows(w.ctx, cc.ID)
	if ns := w.clientCertNotices(w.alice); len(rows) != 0 || len(ns) != 0 {
		t.Errorf("after the deletion: %d ledger rows, Alice's notices %+v", len(rows), ns)
	}
}
