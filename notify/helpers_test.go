package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/models/ledger"
)

// t0 is the tests' starting time: the notifier's clock never sleeps, it is
// moved by hand.
var t0 = time.Date(2030, 1, 10, 5, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// world is a database with people, a domain and an application, and a
// notifier on a hand-moved clock.
type world struct {
	t     *testing.T
	ctx   context.Context
	path  string
	store *models.Store
	clock *testdb.Clock
	cfg   *config.Config
	logs  *testdb.LogBuffer
	log   *slog.Logger

	// alice and carol own the domain (carol is disabled), bob owns the
	// application.
	alice, bob, carol *models.User
	domain            *models.Domain
	app               *models.Application
	// secret is the application's first secret ("Default").
	secret string
}

// newWorld builds the world; configure adjusts the configuration before the
// notifier is built by notifier().
func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, ctx: ctx, path: testdb.DSN(t), clock: testdb.NewClock(t0), logs: &testdb.LogBuffer{}}
	w.log = slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.store = w.open()
	w.cfg = config.Default()
	w.cfg.Server.PublicURL = "https://keys.example.com"

	mk := func(email, name string) *models.User {
		u, err := w.store.CreateUser(ctx, models.Actor{}, models.NewUser{Email: email, Name: name, Password: "a-long-password-123", Role: models.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.alice = mk("alice@example.com", "Alice Owner")
	w.bob = mk("bob@example.com", "Bob Appowner")
	w.carol = mk("carol@example.com", "Carol Disabled")
	if _, err := w.store.UpdateUser(ctx, models.Actor{UserID: w.alice.ID}, w.carol.ID, models.UserUpdate{Name: w.carol.Name, Role: models.RoleAdmin, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	d, err := w.store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Payments", Enabled: true, OwnerIDs: []string{w.alice.ID, w.carol.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.domain = d
	a, first, err := w.store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService, OwnerID: w.bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	w.app, w.secret = a, first.ID
	return w
}

// open opens another handle on the world's database, on the same clock, as
// a second Latchkey process would.
func (w *world) open() *models.Store {
	w.t.Helper()
	s, err := models.Open(w.ctx, w.path, nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		w.t.Fatal(err)
	}
	s.Now = w.clock.Now
	w.t.Cleanup(func() { _ = s.Close() })
	return s
}

// notifier builds a notifier for the configuration, on store (the world's
// own when nil).
func (w *world) notifier(store *models.Store) *Notifier {
	w.t.Helper()
	if store == nil {
		store = w.store
	}
	if err := w.cfg.Validate(); err != nil {
		w.t.Fatal(err)
	}
	n, err := New(store, w.cfg, w.log)
	if err != nil {
		w.t.Fatal(err)
	}
	quickRetries(n)
	return n
}

// run runs the notifier once and fails the test on error.
func (w *world) run(n *Notifier) *models.NotificationRun {
	w.t.Helper()
	r, err := n.Run(w.ctx)
	if err != nil {
		w.t.Fatalf("run at %v: %v", w.clock.Now(), err)
	}
	return r
}

// expireIn sets a secret's expiry relative to the clock.
func (w *world) expireIn(secretID string, d time.Duration) time.Time {
	w.t.Helper()
	at := w.clock.Now().Add(d)
	if err := w.store.SetSecretExpiry(w.ctx, secretID, &at); err != nil {
		w.t.Fatal(err)
	}
	return at
}

// expiringSecrets gives the world's application n secrets s0, s1, …
// expiring one hour apart from an hour from now, in that order, and makes
// its first secret never expire; it returns their ids.
func (w *world) expiringSecrets(n int) []string {
	w.t.Helper()
	var ids []string
	for i := range n {
		ns, err := w.store.CreateSecret(w.ctx, models.Actor{}, w.app.ID, fmt.Sprintf("s%d", i))
		if err != nil {
			w.t.Fatal(err)
		}
		w.expireIn(ns.ID, time.Duration(i+1)*time.Hour)
		ids = append(ids, ns.ID)
	}
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		w.t.Fatal(err)
	}
	return ids
}

// notices returns a user's console notices, oldest first.
func (w *world) notices(u *models.User) []models.Notice {
	w.t.Helper()
	p, err := w.store.Notifications(w.ctx, u.ID, 1, 500)
	if err != nil {
		w.t.Fatal(err)
	}
	out := p.Notifications
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// ledger returns a secret's ledger rows.
func (w *world) ledger(secretID string) []models.NotificationLedger {
	w.t.Helper()
	rows, err := w.store.LedgerRows(w.ctx, secretID)
	if err != nil {
		w.t.Fatal(err)
	}
	return rows
}

// pendingRow stores a pending ledger row as an older version decided it
// (it decided console rows pending, to deliver them later).
func (w *world) pendingRow(key ledger.NoticeKey, recipient, channel, claim string, leaseUntil time.Time) {
	w.t.Helper()
	db, err := w.store.SQLDB()
	if err != nil {
		w.t.Fatal(err)
	}
	_, err = db.ExecContext(w.ctx, `INSERT INTO notification_ledgers
		(secret_id, expires_at, event, threshold, recipient, channel, status, claim, lease_until, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		key.SubjectID, key.ExpiresAt.UTC(), key.Event, key.Threshold, recipient, channel, models.LedgerPending, claim,
		leaseUntil.UTC(), w.clock.Now().UTC())
	if err != nil {
		w.t.Fatal(err)
	}
}

// ---- SMTP server --------------------------------------------------------------

// received is one e-mail the test SMTP server accepted.
type received struct {
	From     string
	To       []string
	Header   mail.Header
	Subject  string
	Text     string
	HTML     string
	Raw      string
	Received time.Time
	// TLS tells whether the message came over an encrypted connection.
	TLS bool
}

// smtpServer is a real SMTP server (emersion/go-smtp) on a random port of
// 127.0.0.1 that keeps what it receives.
type smtpServer struct {
	Host string
	Port int

	mu   sync.Mutex
	msgs []received
	// refuse makes RCPT fail for these addresses.
	refuse map[string]bool
}

func startSMTP(t *testing.T) *smtpServer { return startSMTPWith(t, nil, false) }

// startSMTPWith starts the server; with a TLS configuration it offers
// STARTTLS, or, when implicit, speaks TLS from the first byte (SMTPS).
func startSMTPWith(t *testing.T, tlsConfig *tls.Config, implicit bool) *smtpServer {
	t.Helper()
	s := &smtpServer{refuse: map[string]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, encrypted := c.TLSConnectionState()
		return &smtpSession{srv: s, tls: encrypted}, nil
	}))
	srv.TLSConfig = tlsConfig
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := ln
	if implicit {
		served = tls.NewListener(ln, tlsConfig)
	}
	go func() { _ = srv.Serve(served) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	return s
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type smtpSession struct {
	srv  *smtpServer
	tls  bool
	from string
	to   []string
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }
func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.srv.mu.Lock()
	refused := x.srv.refuse[to]
	x.srv.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	got := received{From: x.from, To: x.to, Header: m.Header, Raw: string(raw), Received: time.Now(), TLS: x.tls}
	dec := new(mime.WordDecoder)
	got.Subject, _ = dec.DecodeHeader(m.Header.Get("Subject"))
	if err := readParts(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, &got); err != nil {
		return err
	}
	x.srv.mu.Lock()
	x.srv.msgs = append(x.srv.msgs, got)
	x.srv.mu.Unlock()
	return nil
}

// selfSigned returns a server configuration with a fresh certificate for
// 127.0.0.1, and a client configuration that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	return server, client
}

// readParts walks a MIME body and keeps its text/plain and text/html parts.
func readParts(contentType, encoding string, body io.Reader, into *received) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := readParts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, into); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	switch mt {
	case "text/plain":
		into.Text = string(b)
	case "text/html":
		into.HTML = string(b)
	}
	return nil
}

// quickRetries makes n's webhook and e-mail channels retry at once, so
// tests of failed deliveries do not wait out the real backoff.
func quickRetries(n *Notifier) {
	if wh, ok := n.channels[models.ChannelWebhook].(*webhookChannel); ok {
		wh.backoff = func(int) time.Duration { return time.Millisecond }
	}
	if em, ok := n.channels[models.ChannelEmail].(*emailChannel); ok {
		em.backoff = func(int) time.Duration { return time.Millisecond }
		em.timeout = 5 * time.Second
	}
}
