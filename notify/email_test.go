package notify

import (
	"slices"
	"strings"
	"testing"
	"time"

	"latchkey/models"
)

// useSMTP points the e-mail channel at the test server.
func (w *world) useSMTP(s *smtpServer) {
	e := &w.cfg.Notifiers.Email
	e.Enabled, e.Host, e.Port = true, s.Host, s.Port
	e.From = "Latchkey <latchkey@example.com>"
	e.StartTLSRequired = false // the test server speaks plain SMTP
}

func TestEmailThroughSMTPServer(t *testing.T) {
	srv := startSMTP(t)
	w := newWorld(t)
	w.useSMTP(srv)
	w.cfg.Services.Notifier.ClientSecret.ExpiryEmailSubject = "[${domainName}] ${secretName} of ${applicationName} expires on ${expiryDate}"
	n := w.notifier(nil)
	expires := w.expireIn(w.secret, 4*day+2*time.Hour)

	r := w.run(n)
	if r.Failed != 0 {
		t.Fatalf("run = %+v", r)
	}
	msgs := srv.messages()
	if len(msgs) != 2 {
		t.Fatalf("the SMTP server received %d messages, want 2 (Alice and Bob; Carol is disabled)", len(msgs))
	}
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
		if m.From != "latchkey@example.com" {
			t.Errorf("envelope from = %q", m.From)
		}
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"alice@example.com", "bob@example.com"}) {
		t.Errorf("recipients = %v, want alice and bob", to)
	}
	date := expires.Format("2006-01-02 15:04 UTC")
	link := "https://keys.example.com/domains/" + w.domain.ID + "/applications/" + w.app.ID + "/secrets"
	for _, m := range msgs {
		if want := "[Payments] Default of Billing API expires on " + date; m.Subject != want {
			t.Errorf("subject = %q, want %q", m.Subject, want)
		}
		if m.Header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted = %q", m.Header.Get("Auto-Submitted"))
		}
		for _, part := range []struct{ name, body string }{{"text", m.Text}, {"html", m.HTML}} {
			for _, want := range []string{"Payments", "Billing API", "Default", date, "in 4 days", link, w.app.ClientID} {
				if !strings.Contains(part.body, want) {
					t.Errorf("%s body lacks %q:\n%s", part.name, want, part.body)
				}
			}
		}
		if !strings.Contains(m.HTML, `<a href="`+link+`"`) {
			t.Errorf("html body has no link to the tab:\n%s", m.HTML)
		}
	}
	if !strings.Contains(msgs[0].Text+msgs[1].Text, "Hello Alice Owner") {
		t.Error("no e-mail greets Alice by name")
	}

	// Nothing twice; "expired" uses its own subject.
	w.run(n)
	w.clock.Advance(3*day + 12*time.Hour)
	w.run(n)
	w.clock.Advance(day)
	w.run(n)
	w.run(n)
	msgs = srv.messages()
	if len(msgs) != 6 {
		t.Fatalf("the SMTP server received %d messages in all, want 6 (5 days, 1 day, expired; two people)", len(msgs))
	}
	last := msgs[len(msgs)-1]
	if want := "Client secret Default of application Billing API expired on " + date; last.Subject != want {
		t.Errorf("expired subject = %q, want %q", last.Subject, want)
	}
	if !strings.Contains(last.Text, "expired on "+date) || !strings.Contains(last.Text, "can no longer authenticate") {
		t.Errorf("expired body:\n%s", last.Text)
	}
}

// A recipient the server refuses fails alone and is retried by the next
// run; the others are sent once.
func TestEmailRefusedRecipientRetriedNextRun(t *testing.T) {
	srv := startSMTP(t)
	w := newWorld(t)
	w.useSMTP(srv)
	n := w.notifier(nil)
	w.expireIn(w.secret, 2*day)
	srv.mu.Lock()
	srv.refuse["bob@example.com"] = true
	srv.mu.Unlock()

	r := w.run(n)
	if r.Failed != 1 || r.Sent != 4 {
		t.Errorf("first run = %+v, want bob's e-mail failed, 4 sent (2 ui, alice's e-mail, log)", r)
	}
	srv.mu.Lock()
	delete(srv.refuse, "bob@example.com")
	srv.mu.Unlock()
	r = w.run(n)
	if r.Retried != 1 || r.Sent != 1 {
		t.Errorf("second run = %+v, want bob's e-mail retried and sent", r)
	}
	w.run(n)
	counts := map[string]int{}
	for _, m := range srv.messages() {
		for _, to := range m.To {
			counts[to]++
		}
	}
	if counts["alice@example.com"] != 1 || counts["bob@example.com"] != 1 {
		t.Errorf("e-mails per recipient = %v, want one each", counts)
	}
}

// With the SMTP server down, e-mails wait; the console and the log do not.
func TestEmailServerDownDoesNotBlockOtherChannels(t *testing.T) {
	w := newWorld(t)
	srv := startSMTP(t)
	w.useSMTP(srv)
	w.cfg.Notifiers.Email.Port = 1 // nothing listens there
	n := w.notifier(nil)
	w.expireIn(w.secret, 2*day)
	r := w.run(n)
	if r.Failed != 2 || r.Sent != 3 {
		t.Errorf("run = %+v, want 2 e-mails failed and 3 other notices sent", r)
	}
	if len(w.notices(w.alice)) != 1 {
		t.Error("the console notice waited for the e-mail")
	}
	var pending int
	for _, row := range w.ledger(w.secret) {
		if row.Channel == models.ChannelEmail {
			if row.Status != models.LedgerPending || row.Attempts != 1 || !strings.Contains(row.LastError, "connect to SMTP server") {
				t.Errorf("e-mail row = %+v", row)
			}
			pending++
		}
	}
	if pending != 2 {
		t.Errorf("%d pending e-mail rows, want 2", pending)
	}
}

// startTLSRequired sends over STARTTLS, and refuses a server that does not
// offer it rather than sending in the clear.
func TestEmailStartTLSRequired(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	secure := startSMTPWith(t, serverTLS, false)
	w := newWorld(t)
	w.useSMTP(secure)
	w.cfg.Notifiers.Email.StartTLSRequired = true
	n := w.notifier(nil)
	n.channels[models.ChannelEmail].(*emailChannel).tlsConfig = clientTLS
	w.expireIn(w.secret, 2*day)
	if r := w.run(n); r.SentEmail != 2 || r.Failed != 0 {
		t.Fatalf("run = %+v, want 2 e-mails sent over STARTTLS", r)
	}
	for _, m := range secure.messages() {
		if !m.TLS {
			t.Errorf("an e-mail to %v came in the clear", m.To)
		}
	}

	plain := startSMTP(t) // offers no STARTTLS
	w2 := newWorld(t)
	w2.useSMTP(plain)
	w2.cfg.Notifiers.Email.StartTLSRequired = true
	n2 := w2.notifier(nil)
	w2.expireIn(w2.secret, 2*day)
	if r := w2.run(n2); r.SentEmail != 0 || r.Failed != 2 {
		t.Errorf("run = %+v, want both e-mails refused", r)
	}
	if got := len(plain.messages()); got != 0 {
		t.Errorf("%d e-mails were sent in the clear despite startTLSRequired", got)
	}
}

// tls connects with TLS from the first byte (SMTPS).
func TestEmailImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	smtps := startSMTPWith(t, serverTLS, true)
	w := newWorld(t)
	w.useSMTP(smtps)
	w.cfg.Notifiers.Email.TLS = true
	n := w.notifier(nil)
	n.channels[models.ChannelEmail].(*emailChannel).tlsConfig = clientTLS
	w.expireIn(w.secret, 2*day)
	if r := w.run(n); r.SentEmail != 2 || r.Failed != 0 {
		t.Fatalf("run = %+v, want 2 e-mails sent over SMTPS", r)
	}
	if got := len(smtps.messages()); got != 2 {
		t.Errorf("the SMTPS server received %d e-mails, want 2", got)
	}
}
