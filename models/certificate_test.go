package models

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/internal/testdb"
	"latchkey/pki"
)

// certEnv is a store on a settable clock with one application (lifetime
// one hour) in its domain.
type certEnv struct {
	t      *testing.T
	ctx    context.Context
	s      *Store
	clock  *testdb.Clock
	app    *Application
	secret string
	hrid   string
	dsn    string
}

func newCertEnv(t *testing.T) *certEnv {
	t.Helper()
	s, dsn, _ := openTestStore(t)
	clock := testdb.NewClock(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC))
	s.Now = clock.Now
	a, first := newTestApp(t, s, "App")
	if err := s.db.Model(&Application{}).Where("id = ?", a.ID).Update("access_token_lifetime", 3600).Error; err != nil {
		t.Fatal(err)
	}
	d, err := s.DomainByID(context.Background(), a.DomainID)
	if err != nil {
		t.Fatal(err)
	}
	return &certEnv{t: t, ctx: context.Background(), s: s, clock: clock, app: a, secret: first.Value, hrid: d.HRID, dsn: dsn}
}

// signer is the certificate id the authentication query says signs now.
func (e *certEnv) signer() string {
	e.t.Helper()
	c, err := e.s.AuthenticateClient(e.ctx, e.hrid, e.app.ClientID, e.secret)
	if err != nil || c == nil {
		e.t.Fatalf("authenticate: %v, %v", c, err)
	}
	// The store's own rule agrees with the query.
	choice, err := e.s.SigningCertificate(e.ctx, e.app.ID, e.s.now())
	if err != nil || choice.Certificate == nil || choice.Certificate.ID != c.SigningKeyID {
		e.t.Fatalf("SigningCertificate = %+v, %v; the authentication query says %s", choice, err, c.SigningKeyID)
	}
	return c.SigningKeyID
}

func (e *certEnv) published() []string {
	e.t.Helper()
	ids, err := e.s.SigningKeyIDs(e.ctx, e.app.DomainID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *certEnv) status(id string) CertificateStatus {
	e.t.Helper()
	list, err := e.s.Certificates(e.ctx, e.app.DomainID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == id {
			return c.Status
		}
	}
	return "gone"
}

func equalIDs(a []string, b ...string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func TestNewDomainHasOneSystemCertificate(t *testing.T) {
	e := newCertEnv(t)
	list, err := e.s.Certificates(e.ctx, e.app.DomainID)
	if err != nil || len(list) != 1 {
		t.Fatalf("certificates = %+v, %v", list, err)
	}
	c := list[0]
	if c.Type != CertTypeSystem || c.Algorithm != pki.ES256 || c.Name != "Default" || c.Status != CertValid || !c.Current() {
		t.Errorf("first certificate = %+v", c)
	}
	if got := c.ExpiresAt.Sub(c.NotBefore); got != 365*24*time.Hour {
		t.Errorf("validity %v", got)
	}
	if e.signer() != c.ID {
		t.Error("the domain's certificate does not sign")
	}
	keys, err := e.s.CertificatePublicKeys(e.ctx, e.app.DomainID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(keys.PEM, "-----BEGIN PUBLIC KEY-----") || keys.JWK.KeyID != c.ID || keys.JWK.Algorithm != "ES256" ||
		!keys.JWK.IsPublic() || len(keys.JWK.Certificates) != 1 || len(keys.JWK.CertificateThumbprintSHA256) != 32 {
		t.Errorf("public keys = %+v", keys)
	}
	if _, err := e.s.CertificateByID(e.ctx, "another-domain", c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("certificate found under another domain: %v", err)
	}
}

// The rotation timeline: the new certificate is published at once and
// signs after the refresh delay; the old one stays published while its
// tokens may be valid (the longest lifetime, one hour, after it stopped
// signing), then retires, leaves the JWKS and may be deleted.
func TestRotationTimeline(t *testing.T) {
	e := newCertEnv(t)
	old := e.signer()
	t0 := e.clock.Now()
	admin := Actor{UserID: "u1", Email: "admin@example.com"}
	n, err := e.s.RotateCertificate(e.ctx, admin, e.app.DomainID, SystemCertificateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Algorithm != pki.ES256 || !strings.HasPrefix(n.Name, "Default 2027-01-01 12:00:00") || !n.SigningFrom.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("new certificate %+v", n)
	}
	// Published before it is used.
	if got := e.published(); !equalIDs(got, old, n.ID) {
		t.Errorf("JWKS right after the rotation = %v, want [%s %s]", got, old, n.ID)
	}
	if e.signer() != old {
		t.Error("the new certificate signs before the refresh delay")
	}
	if st := e.status(old); st != CertRenewed {
		t.Errorf("old status %s, want RENEWED", st)
	}
	if _, err := e.s.DeleteCertificate(e.ctx, admin, e.app.DomainID, old, nil); ErrorCode(err) != CodeInvalid {
		t.Errorf("deleting the certificate that still signs: %v", err)
	}
	e.clock.Set(t0.Add(10*time.Minute - time.Second))
	if e.signer() != old {
		t.Error("the new certificate signs before the refresh delay")
	}
	e.clock.Set(t0.Add(10 * time.Minute))
	if e.signer() != n.ID {
		t.Error("the new certificate does not sign after the refresh delay")
	}
	// The old one is kept while the tokens it signed last may be valid.
	if got := e.published(); !equalIDs(got, n.ID, old) {
		t.Errorf("JWKS after the switch = %v, want [%s %s]", got, n.ID, old)
	}
	e.clock.Set(t0.Add(10*time.Minute + time.Hour - time.Second))
	if got := e.published(); !equalIDs(got, n.ID, old) {
		t.Errorf("JWKS before the old tokens expire = %v", got)
	}
	e.clock.Set(t0.Add(10*time.Minute + time.Hour))
	if got := e.published(); !equalIDs(got, n.ID) {
		t.Errorf("JWKS once the old tokens expired = %v, want [%s]", got, n.ID)
	}
	if st := e.status(old); st != CertRetired {
		t.Errorf("old status %s, want RETIRED", st)
	}
	if _, err := e.s.DeleteCertificate(e.ctx, admin, e.app.DomainID, old, nil); err != nil {
		t.Errorf("deleting the retired certificate: %v", err)
	}
	var evs []AuditEvent
	if err := e.s.db.Where("type IN ?", []string{EventCertificateRotated, EventCertificateDeleted}).Order("created_at").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, ev := range evs {
		got[ev.Type+" "+ev.Outcome+" "+ev.TargetID]++
		if ev.ActorEmail != admin.Email {
			t.Errorf("event %s by %q", ev.Type, ev.ActorEmail)
		}
	}
	if len(evs) != 3 || got[EventCertificateRotated+" SUCCESS "+n.ID] != 1 || got[EventCertificateDeleted+" FAILURE "+old] != 1 ||
		got[EventCertificateDeleted+" SUCCESS "+old] != 1 {
		t.Errorf("audit = %v", got)
	}
	// A rotation to another algorithm.
	r, err := e.s.RotateCertificate(e.ctx, admin, e.app.DomainID, SystemCertificateInput{Algorithm: pki.EdDSA})
	if err != nil || r.Algorithm != pki.EdDSA {
		t.Fatalf("rotate to EdDSA: %+v, %v", r, err)
	}
	if _, err := e.s.RotateCertificate(e.ctx, admin, e.app.DomainID, SystemCertificateInput{Algorithm: "HS256"}); ErrorCode(err) != CodeInvalid {
		t.Errorf("rotate to HS256: %v", err)
	}
}

// Automatic rotation happens autoRotateDays before expiry, exactly once
// even when two nodes run it at the same moment.
func TestAutomaticRotationExactlyOnce(t *testing.T) {
	e := newCertEnv(t)
	list, _ := e.s.Certificates(e.ctx, e.app.DomainID)
	first := list[0]
	// A second node on the same database.
	other, err := Open(e.ctx, e.dsn, nil, WithKeyEncryptionKey(testdb.KEK()), WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	e.clock.Set(first.ExpiresAt.Add(-30*24*time.Hour - time.Second))
	if r, err := e.s.RotateExpiringCertificates(e.ctx); err != nil || len(r) != 0 {
		t.Fatalf("rotated %d certificates 30 days and a second before expiry (%v)", len(r), err)
	}
	e.clock.Set(first.ExpiresAt.Add(-30 * 24 * time.Hour))
	var wg sync.WaitGroup
	results := make([][]Rotation, 2)
	errs := make([]error, 2)
	for i, s := range []*Store{e.s, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.RotateExpiringCertificates(e.ctx)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	if n := len(results[0]) + len(results[1]); n != 1 {
		t.Fatalf("%d rotations by two nodes, want exactly 1", n)
	}
	list, _ = e.s.Certificates(e.ctx, e.app.DomainID)
	if len(list) != 2 {
		t.Fatalf("%d certificates after the automatic rotation, want 2", len(list))
	}
	var evs []AuditEvent
	e.s.db.Where("type = ?", EventCertificateRotated).Find(&evs)
	if len(evs) != 1 || evs[0].ActorEmail != SystemActor.Email {
		t.Errorf("rotation audit = %+v", evs)
	}
	// Done once: the next check finds nothing due.
	if r, err := other.RotateExpiringCertificates(e.ctx); err != nil || len(r) != 0 {
		t.Errorf("a second check rotated %d (%v)", len(r), err)
	}
}

func uploadPEM(t *testing.T, notAfter time.Time) OwnCertificateInput {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := pki.SelfSign(k, "CN=own", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), notAfter)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalPKCS8PrivateKey(k)
	return OwnCertificateInput{Name: "Own", CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})}
}

// The chosen certificate signs while usable; then the fallback; then the
// current system certificate. Deletion is refused while anything uses it.
func TestApplicationCertificateAndGuards(t *testing.T) {
	e := newCertEnv(t)
	admin := Actor{UserID: "u1", Email: "admin@example.com"}
	system := e.signer()
	own, err := e.s.CreateOwnCertificate(e.ctx, admin, e.app.DomainID, uploadPEM(t, time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	spare, err := e.s.CreateOwnCertificate(e.ctx, admin, e.app.DomainID, uploadPEM(t, time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	if own.PrivateKey != "" || list0(t, e).PrivateKey != "" {
		t.Error("a certificate left the store with its (sealed) private key")
	}
	if own.Type != CertTypeOwn || own.Algorithm != pki.ES256 || !own.ExpiresAt.Equal(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("own certificate %+v", own)
	}
	if err := e.s.SetApplicationCertificate(e.ctx, admin, e.app.ID, &own.ID); err != nil {
		t.Fatal(err)
	}
	if e.signer() != own.ID {
		t.Error("the chosen certificate does not sign")
	}
	if err := e.s.SetFallbackCertificate(e.ctx, admin, e.app.DomainID, &spare.ID); err != nil {
		t.Fatal(err)
	}
	bogus := "no-such-certificate"
	if err := e.s.SetApplicationCertificate(e.ctx, admin, e.app.ID, &bogus); ErrorCode(err) != CodeInvalid {
		t.Errorf("choosing a certificate of no domain: %v", err)
	}
	list, _ := e.s.Certificates(e.ctx, e.app.DomainID)
	for _, c := range list {
		if (c.ID == own.ID) != (c.UsedBy == 1) || (c.ID == spare.ID) != c.Fallback {
			t.Errorf("%s: used by %d, fallback %v", c.Name, c.UsedBy, c.Fallback)
		}
	}

	for _, tc := range []struct {
		id, want string
	}{{own.ID, "App"}, {spare.ID, "fallback"}, {system, "current system"}} {
		_, err := e.s.DeleteCertificate(e.ctx, admin, e.app.DomainID, tc.id, nil)
		if ErrorCode(err) != CodeInvalid || !strings.Contains(APIText(err), tc.want) {
			t.Errorf("delete %s: %v, want a refusal naming %q", tc.id, err, tc.want)
		}
	}
	wrong := "not its name"
	if err := e.s.SetApplicationCertificate(e.ctx, admin, e.app.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.DeleteCertificate(e.ctx, admin, e.app.DomainID, own.ID, &wrong); ErrorCode(err) != CodeInvalid {
		t.Errorf("delete with a wrong confirmation: %v", err)
	}
	if err := e.s.SetApplicationCertificate(e.ctx, admin, e.app.ID, &own.ID); err != nil {
		t.Fatal(err)
	}

	// The chosen certificate expires: the fallback signs.
	e.clock.Set(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))
	if e.signer() != spare.ID {
		t.Error("the fallback does not sign for an expired choice")
	}
	choice, _ := e.s.SigningCertificate(e.ctx, e.app.ID, e.s.now())
	if choice.Reason != SigningChosenExpired || !choice.Fallback {
		t.Errorf("choice = %+v", choice)
	}
	// No usable fallback either: the current system certificate signs.
	if err := e.s.SetFallbackCertificate(e.ctx, admin, e.app.DomainID, nil); err != nil {
		t.Fatal(err)
	}
	if e.signer() != system {
		t.Error("the system certificate does not sign when nothing else can")
	}
	// A choice that is gone (deleted behind the store's back).
	if err := e.s.db.Exec("DELETE FROM certificates WHERE id = ?", own.ID).Error; err != nil {
		t.Fatal(err)
	}
	if choice, _ := e.s.SigningCertificate(e.ctx, e.app.ID, e.s.now()); choice.Reason != SigningChosenGone || e.signer() != system {
		t.Errorf("choice of a deleted certificate = %+v", choice)
	}

	var types []string
	e.s.db.Model(&AuditEvent{}).Order("created_at").Pluck("type", &types)
	for _, want := range []string{EventCertificateCreated, EventAppCertificateUpdated, EventDomainCertificateSettingsUpdated} {
		found := false
		for _, typ := range types {
			found = found || typ == want
		}
		if !found {
			t.Errorf("no %s in the audit trail %v", want, types)
		}
	}
}

func TestOwnCertificateRefusals(t *testing.T) {
	e := newCertEnv(t)
	good := uploadPEM(t, time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC))
	expired := uploadPEM(t, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	mismatched := good
	mismatched.PrivateKeyPEM = uploadPEM(t, time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)).PrivateKeyPEM
	for _, tc := range []struct {
		name  string
		in    OwnCertificateInput
		field string
	}{
		{"expired", expired, pki.FieldCertificate},
		{"mismatched", mismatched, pki.FieldPrivateKey},
		{"nothing", OwnCertificateInput{Name: "x"}, pki.FieldFile},
		{"bad pkcs12", OwnCertificateInput{Name: "x", PKCS12: []byte("junk")}, pki.FieldFile},
		{"no name", OwnCertificateInput{CertificatePEM: good.CertificatePEM, PrivateKeyPEM: good.PrivateKeyPEM}, "name"},
	} {
		_, err := e.s.CreateOwnCertificate(e.ctx, Actor{}, e.app.DomainID, tc.in)
		var fe FieldErrors
		if !errors.As(err, &fe) || fe[tc.field] == "" {
			t.Errorf("%s: %v, want a message on %s", tc.name, err, tc.field)
		}
	}
}

func list0(t *testing.T, e *certEnv) CertificateInfo {
	t.Helper()
	list, err := e.s.Certificates(e.ctx, e.app.DomainID)
	if err != nil || len(list) == 0 {
		t.Fatal(list, err)
	}
	return list[0]
}
