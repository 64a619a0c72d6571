package gateway

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/labstack/echo/v4"

	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/pki"
	"latchkey/throttle"
)

// FuzzClientAssertion feeds arbitrary client assertions (and client_id
// parameters) to client authentication for a client that accepts only
// private_key_jwt: no input panics, and none authenticates, since none is
// signed by the client's registered key. The seeds are well-formed
// assertions with the right claims, naming the registered key by kid or
// not, signed by keys of every algorithm that are not registered, plus alg
// none and HS256 keyed with the registered certificate's PEM.
func FuzzClientAssertion(f *testing.F) {
	ctx := context.Background()
	store, err := models.Open(ctx, testdb.DSN(f), nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = store.Close() })
	d, err := store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: true})
	if err != nil {
		f.Fatal(err)
	}
	app, _, err := store.CreateApplication(ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "App", Type: models.AppTypeService,
		AuthMethods: []string{models.AuthPrivateKeyJWT}})
	if err != nil {
		f.Fatal(err)
	}
	registered, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := pki.SelfSign(registered, "CN=client", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cc, err := store.AddClientCertificate(ctx, models.Actor{}, app.ID, models.ClientCertificateInput{Description: "key", Data: certPEM})
	if err != nil {
		f.Fatal(err)
	}
	g := New(store, models.NewLastUsedRecorder(store), throttle.New(1<<30, time.Minute), NewFailureSummary(store), "http://gw.example", nil, nil)
	claims := func() jwt.Claims {
		now := time.Now()
		return jwt.Claims{Issuer: app.ClientID, Subject: app.ClientID, Audience: jwt.Audience{"http://gw.example/acme/oauth/token"},
			Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: "jti-" + now.String()}
	}
	sign := func(alg jose.SignatureAlgorithm, key any, kid bool) string {
		opts := &jose.SignerOptions{}
		if kid {
			opts = opts.WithHeader("kid", cc.KeyID)
		}
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := jwt.Signed(s).Claims(claims()).Serialize()
		if err != nil {
			f.Fatal(err)
		}
		return raw
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, k := range []struct {
		alg jose.SignatureAlgorithm
		key crypto.Signer
	}{{jose.ES256, ec}, {jose.RS256, rs}, {jose.PS256, rs}, {jose.EdDSA, ed}} {
		f.Add(sign(k.alg, k.key, true), "")
		f.Add(sign(k.alg, k.key, false), app.ClientID)
	}
	f.Add(sign(jose.HS256, certPEM, true), "")
	f.Add("eyJhbGciOiJub25lIn0."+base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+app.ClientID+`","sub":"`+app.ClientID+`"}`))+".", "")
	f.Add("", "")
	f.Add("a.b.c", app.ClientID)
	e := echo.New()
	f.Fuzz(func(t *testing.T, assertion, clientID string) {
		form := url.Values{"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion}}
		if clientID != "" {
			form.Set("client_id", clientID)
		}
		req := httptest.NewRequest(http.MethodPost, "/acme/oauth/token", strings.NewReader(form.Encode()))
		c := e.NewContext(req, httptest.NewRecorder())
		client, _, oe, err := g.authenticate(c, "acme", form, false)
		if err != nil {
			t.Fatalf("internal error: %v", err)
		}
		if client != nil || oe == nil {
			t.Fatalf("assertion %q authenticated as %+v", assertion, client)
		}
	})
}
