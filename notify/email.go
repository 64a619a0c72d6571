package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"latchkey/config"
	"latchkey/models/ledger"
)

// emailDialAttempts is how many times a run tries to reach the SMTP server
// before leaving its e-mails to the next run.
const emailDialAttempts = 3

// emailChannel sends one e-mail per notice and recipient over SMTP, on one
// connection per batch.
type emailChannel struct {
	host, username, password, from string
	port                           int
	startTLSRequired, tls          bool
	timeout                        time.Duration
	// backoff is the wait before dial attempt n (n ≥ 1).
	backoff func(n int) time.Duration
	// tlsConfig, when set, replaces go-mail's (tests trust their own
	// certificate with it).
	tlsConfig *tls.Config
}

func newEmailChannel(cfg *config.Config) *emailChannel {
	e := cfg.Notifiers.Email
	return &emailChannel{
		host: e.Host, port: e.Port, username: e.Username, password: e.Password, from: e.From,
		startTLSRequired: e.StartTLSRequired, tls: e.TLS,
		timeout: 30 * time.Second,
		backoff: func(n int) time.Duration { return time.Duration(n) * 2 * time.Second },
	}
}

// accepts needs an address to write to.
func (*emailChannel) accepts(d ledger.Delivery) bool { return d.UserEmail != nil && *d.UserEmail != "" }

// message builds a notice's e-mail, with the subject of its source's
// settings and its source's templates.
func (c *emailChannel) message(n notice) (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.From(c.from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	name := derefName(n.UserName)
	if err := m.AddToFormat(name, *n.UserEmail); err != nil {
		return nil, fmt.Errorf("recipient address: %w", err)
	}
	m.Subject(n.wording.EmailSubject(n.source.emailSubject(n.Event), &n))
	m.SetDate()
	m.SetMessageID()
	// RFC 3834: tells auto-responders not to answer.
	m.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	m.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	m.SetGenHeader(mail.Header("X-Latchkey-Event"), n.Event)
	data := n.wording.MailData(&n, orDefault(name, "there"))
	if err := m.SetBodyTextTemplate(n.wording.Text, data); err != nil {
		return nil, err
	}
	if err := m.AddAlternativeHTMLTemplate(n.wording.HTML, data); err != nil {
		return nil, err
	}
	return m, nil
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}

func (c *emailChannel) client() (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(c.port), mail.WithTimeout(c.timeout)}
	if c.tlsConfig != nil {
		opts = append(opts, mail.WithTLSConfig(c.tlsConfig))
	}
	switch {
	case c.tls:
		opts = append(opts, mail.WithSSL())
	case c.startTLSRequired:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if c.username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN
		// only over TLS.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(c.username), mail.WithPassword(c.password))
	}
	return mail.NewClient(c.host, opts...)
}

// deliver builds every message, connects once (retrying a failed connection
// a few times) and sends them one by one, so one refused recipient does not
// fail the others.
func (c *emailChannel) deliver(ctx context.Context, _ string, ns []notice) []error {
	results := make([]error, len(ns))
	msgs := make([]*mail.Msg, len(ns))
	for i, n := range ns {
		msgs[i], results[i] = c.message(n)
	}
	client, err := c.client()
	if err != nil {
		return fill(results, err)
	}
	for attempt := 1; ; attempt++ {
		if err = client.DialWithContext(ctx); err == nil {
			break
		}
		if attempt == emailDialAttempts || !sleep(ctx, c.backoff(attempt)) {
			return fill(results, fmt.Errorf("connect to SMTP server %s:%d: %w", c.host, c.port, err))
		}
	}
	defer client.Close()
	for i, m := range msgs {
		if m == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			results[i] = errSkipped
			continue
		}
		if err := client.Send(m); err != nil {
			results[i] = err
		}
	}
	return results
}

// fill sets err on every result still nil.
func fill(results []error, err error) []error {
	for i := range results {
		if results[i] == nil {
			results[i] = err
		}
	}
	return results
}

// sleep waits d, or less if ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
