package models

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"latchkey/pki"
)

// certPEM returns a PEM certificate for key valid from nb to na.
func certPEM(t testing.TB, key crypto.Signer, nb, na time.Time) []byte {
	t.Helper()
	der, err := pki.SelfSign(key, "CN=client", nb, na)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func jwkJSON(t testing.TB, key any, kid, alg string) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAddClientCertificateForms(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	now := s.now()
	ec := newECKey(t)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemCert := certPEM(t, ec, now.Add(-time.Hour), now.Add(48*time.Hour))
	block, _ := pem.Decode(pemCert)
	cases := []struct {
		name, alg, format, kid string
		data                   []byte
		expires                bool
	}{
		{"pem", "ES256", pki.FormatX509, "", pemCert, true},
		{"der", "RS256", pki.FormatX509, "", mustDER(t, rsaKey, now), true},
		{"jwk ed25519", "EdDSA", pki.FormatJWK, "ed-1", jwkJSON(t, ed.Public(), "ed-1", ""), false},
		{"jwks rsa pss", "PS256", pki.FormatJWK, "", []byte(`{"keys":[` + string(jwkJSON(t, &newRSA(t).PublicKey, "", "PS256")) + `]}`), false},
	}
	for _, c := range cases {
		cc, err := s.AddClientCertificate(ctx, Actor{}, a.ID, ClientCertificateInput{Description: "  " + c.name + " ", Data: c.data})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cc.Description != c.name || cc.Algorithm != c.alg || cc.Format != c.format || len(cc.Thumbprint) != 43 {
			t.Errorf("%s: %+v", c.name, cc)
		}
		if (cc.ExpiresAt != nil) != c.expires {
			t.Errorf("%s: expires %v, want set=%v", c.name, cc.ExpiresAt, c.expires)
		}
		want := c.kid
		if want == "" {
			want = cc.Thumbprint
		}
		if cc.KeyID != want {
			t.Errorf("%s: kid %q, want %q", c.name, cc.KeyID, want)
		}
	}
	list, err := s.ClientCertificates(ctx, a.ID)
	if err != nil || len(list) != len(cases) {
		t.Fatalf("listed %d (%v)", len(list), err)
	}
	// x5t#S256 is the certificate's DER digest, as clients compute it.
	if got := list[0].Thumbprint; got != x5tS256(block.Bytes) {
		t.Errorf("thumbprint %s, want %s", got, x5tS256(block.Bytes))
	}
	if list[0].ExpiresAt == nil || !list[0].ExpiresAt.Equal(now.Add(48*time.Hour).Truncate(time.Second)) {
		t.Errorf("expires %v", list[0].ExpiresAt)
	}
	if strings.Contains(list[2].PublicKey, `"d"`) {
		t.Errorf("stored JWK %s", list[2].PublicKey)
	}
}

func newRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustDER(t testing.TB, key crypto.Signer, now time.Time) []byte {
	t.Helper()
	der, err := pki.SelfSign(key, "CN=client", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestJWKExpiresByPolicy(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	if _, _, err := s.UpdateAppSecretPolicy(ctx, Actor{}, a.DomainID, a.ID, ExpiryInput{Enabled: true, Unit: UnitDays, Duration: "30"}); err != nil {
		t.Fatal(err)
	}
	cc, err := s.AddClientCertificate(ctx, Actor{}, a.ID, ClientCertificateInput{Description: "jwk", Data: jwkJSON(t, newECKey(t).Public(), "", "")})
	if err != nil {
		t.Fatal(err)
	}
	if cc.ExpiresAt == nil || cc.ExpiresAt.Sub(cc.CreatedAt) != 30*24*time.Hour {
		t.Fatalf("expires %v, created %v", cc.ExpiresAt, cc.CreatedAt)
	}
}

func TestAddClientCertificateRefusals(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	now := s.now()
	ec := newECKey(t)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	taken := certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour))
	if _, err := s.AddClientCertificate(ctx, Actor{}, a.ID, ClientCertificateInput{Description: "taken", Data: taken}); err != nil {
		t.Fatal(err)
	}
	privJWK, _ := json.Marshal(jose.JSONWebKey{Key: ec})
	good := certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour))
	cases := []struct {
		name, description, field, msg string
		data                          []byte
	}{
		{"pem private key with certificate", "x", "certificate", "The upload contains a private key. Keep the private key with the client; upload only its certificate or public key.",
			append(certPEM(t, ec, now.Add(-time.Hour), now.Add(time.Hour)), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})...)},
		{"der private key", "x", "certificate", "The upload contains a private key. Keep the private key with the client; upload only its certificate or public key.", ecDER},
		{"private jwk", "x", "certificate", "The upload contains a private key. Keep the private key with the client; upload only its certificate or public key.", privJWK},
		{"expired", "x", "certificate", "The certificate has already expired.", certPEM(t, ec, now.Add(-48*time.Hour), now.Add(-time.Hour))},
		{"rsa 1024", "x", "certificate", "The RSA key is shorter than 2048 bits.", certPEM(t, small, now.Add(-time.Hour), now.Add(time.Hour))},
		{"p-384", "x", "certificate", "Unsupported key type or curve: use ECDSA P-256, RSA or Ed25519.", jwkJSON(t, p384.Public(), "", "")},
		{"oct jwk", "x", "certificate", "Unsupported key type or curve: use ECDSA P-256, RSA or Ed25519.", []byte(`{"kty":"oct","k":"c2VjcmV0"}`)},
		{"jwk alg mismatch", "x", "certificate", "The JWK's alg does not fit its key: use RS256 or PS256 for RSA, ES256 for P-256 and EdDSA for Ed25519.", jwkJSON(t, ec.Public(), "", "RS256")},
		{"jwks of two", "x", "certificate", "The JWK Set must hold exactly one key.",
			[]byte(`{"keys":[` + string(jwkJSON(t, ec.Public(), "", "")) + `,` + string(jwkJSON(t, p384.Public(), "", "")) + `]}`)},
		{"garbage", "x", "certificate", "This is neither an X.509 certificate (PEM or DER: .pem, .cer, .crt) nor a public JWK.", []byte("hello")},
		{"empty description", "   ", "description", "Description is required.", good},
		{"long description", strings.Repeat("d", 65), "description", "Description must be at most 64 characters.", good},
		{"duplicate description", " taken ", "description", "Client certificate with description taken already exists", good},
		{"duplicate description ignoring case", "TAKEN", "description", "Client certificate with description taken already exists", good},
		{"same certificate twice", "other", "certificate", "This certificate or key is already registered on this application.", taken},
	}
	for _, c := range cases {
		_, err := s.AddClientCertificate(ctx, Actor{}, a.ID, ClientCertificateInput{Description: c.description, Data: c.data})
		fe, ok := AsFieldErrors(err)
		if !ok || fe[c.field] != c.msg {
			t.Errorf("%s: err = %v, want %s: %s", c.name, err, c.field, c.msg)
		}
	}
	if list, _ := s.ClientCertificates(ctx, a.ID); len(list) != 1 {
		t.Fatalf("%d stored after refusals", len(list))
	}
	// The same certificate may serve two applications.
	b, _ := newTestApp(t, s, "other")
	if _, err := s.AddClientCertificate(ctx, Actor{}, b.ID, ClientCertificateInput{Description: "taken", Data: taken}); err != nil {
		t.Fatal(err)
	}
}

func TestClientCertificateLimitAndDelete(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	s.ClientCertificatesMax = 2
	now := s.now()
	actor := Actor{UserID: "u", Email: "admin@example.com"}
	var ids []string
	for _, d := range []string{"one", "two"} {
		cc, err := s.AddClientCertificate(ctx, actor, a.ID, ClientCertificateInput{Description: d, Data: certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, cc.ID)
	}
	_, err := s.AddClientCertificate(ctx, actor, a.ID, ClientCertificateInput{Description: "three", Data: certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour))})
	var le *ClientCertificateLimitError
	if !errors.As(err, &le) || ErrorCode(err) != CodeLimit || err.Error() != "Too many client certificates. Cannot add more than 2 client certificates" {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := s.DeleteClientCertificate(ctx, actor, "other-domain", a.ID, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete through another domain: %v", err)
	}
	cc, err := s.DeleteClientCertificate(ctx, actor, a.DomainID, a.ID, ids[0])
	if err != nil || cc.Description != "one" {
		t.Fatalf("delete: %+v %v", cc, err)
	}
	if _, err := s.ClientCertificateByID(ctx, a.ID, ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted one still there: %v", err)
	}
	page, err := s.AuditEvents(ctx, AuditFilter{ApplicationID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Events {
		got = append(got, e.Type+"/"+e.Outcome+"/"+e.TargetName)
	}
	want := []string{
		"APPLICATION_CLIENT_CERTIFICATE_DELETED/SUCCESS/one",
		"APPLICATION_CLIENT_CERTIFICATE_ADDED/FAILURE/three",
		"APPLICATION_CLIENT_CERTIFICATE_ADDED/SUCCESS/two",
		"APPLICATION_CLIENT_CERTIFICATE_ADDED/SUCCESS/one",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit:\n%v\nwant\n%v", got, want)
	}
}

// Two adds at 9 of 10, at once: exactly one succeeds.
func TestConcurrentClientCertificateAddsAtLimit(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	now := s.now()
	for i := range 9 {
		if _, err := s.AddClientCertificate(ctx, Actor{}, a.ID, ClientCertificateInput{Description: "c" + string(rune('0'+i)),
			Data: certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour))}); err != nil {
			t.Fatal(err)
		}
	}
	datas := [][]byte{certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour)), certPEM(t, newECKey(t), now.Add(-time.Hour), now.Add(time.Hour))}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.AddClientCertificate(ctx, Actor{}, a.ID, ClientCertificateInput{Description: "race" + string(rune('a'+i)), Data: datas[i]})
		}()
	}
	close(start)
	wg.Wait()
	var le *ClientCertificateLimitError
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.As(err, &le):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	list, _ := s.ClientCertificates(ctx, a.ID)
	if ok != 1 || len(list) != 10 {
		t.Fatalf("%d succeeded, %d stored", ok, len(list))
	}
}

func TestAuthMethods(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "app")
	if got := a.AuthMethods(); strings.Join(got, ",") != "client_secret" {
		t.Fatalf("default %v", got)
	}
	actor := Actor{UserID: "u", Email: "admin@example.com"}
	if _, err := s.SetAuthMethods(ctx, actor, a.DomainID, a.ID, []string{}); err == nil {
		t.Fatal("no method accepted")
	}
	if _, err := s.SetAuthMethods(ctx, actor, a.DomainID, a.ID, []string{"client_secret_jwt"}); err == nil {
		t.Fatal("unknown method accepted")
	}
	got, err := s.SetAuthMethods(ctx, actor, a.DomainID, a.ID, []string{"private_key_jwt"})
	if err != nil || strings.Join(got.AuthMethods(), ",") != "private_key_jwt" {
		t.Fatalf("%v %v", got, err)
	}
	back, _ := s.ApplicationByID(ctx, a.DomainID, a.ID)
	if strings.Join(back.AuthMethods(), ",") != "private_key_jwt" {
		t.Fatalf("stored %v", back.AuthMethods())
	}
	page, _ := s.AuditEvents(ctx, AuditFilter{ApplicationID: a.ID, Type: EventApplicationUpdated})
	if len(page.Events) != 1 || page.Events[0].Detail != "token endpoint authentication: client_secret → private_key_jwt" {
		t.Fatalf("audit %+v", page.Events)
	}
	// Another edit keeps the methods.
	if _, err := s.PatchApplication(ctx, actor, a.DomainID, a.ID, func(in *ApplicationInput) error { in.Description = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	back, _ = s.ApplicationByID(ctx, a.DomainID, a.ID)
	if strings.Join(back.AuthMethods(), ",") != "private_key_jwt" {
		t.Fatalf("after another edit %v", back.AuthMethods())
	}
}

// An application that accepts only private_key_jwt refuses its secrets,
// and takes them again when client_secret is back.
func TestSecretRefusedWithoutClientSecretMethod(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "app")
	d, _ := s.DomainByID(ctx, a.DomainID)
	for _, c := range []struct {
		methods []string
		ok      bool
	}{{[]string{"private_key_jwt"}, false}, {[]string{"client_secret", "private_key_jwt"}, true}} {
		if _, err := s.SetAuthMethods(ctx, Actor{}, a.DomainID, a.ID, c.methods); err != nil {
			t.Fatal(err)
		}
		client, err := s.AuthenticateClient(ctx, d.HRID, a.ClientID, first.Value)
		if err != nil || (client != nil) != c.ok {
			t.Fatalf("%v: client %v, err %v", c.methods, client, err)
		}
	}
	// A disabled domain's introspection authenticates its callers by the
	// same rule.
	if _, err := s.UpdateDomain(ctx, Actor{}, d.ID, DomainInput{Name: d.Name, HRID: d.HRID, Enabled: false}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		methods []string
		ok      bool
	}{{[]string{"private_key_jwt"}, false}, {[]string{"client_secret", "private_key_jwt"}, true}} {
		if _, err := s.SetAuthMethods(ctx, Actor{}, a.DomainID, a.ID, c.methods); err != nil {
			t.Fatal(err)
		}
		client, err := s.ClientOfDisabledDomain(ctx, d.HRID, a.ClientID, first.Value)
		if err != nil || (client != nil) != c.ok {
			t.Fatalf("disabled domain, %v: client %v, err %v", c.methods, client, err)
		}
	}
}

func x5tS256(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
