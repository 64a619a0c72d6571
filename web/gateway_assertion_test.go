package web_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"

	"latchkey/config"
	"latchkey/models"
	"latchkey/pki"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// clientKey is a client's key pair and the client certificate that holds
// its public half.
type clientKey struct {
	signer crypto.Signer
	alg    jose.SignatureAlgorithm
	cert   *models.ClientCertificate
}

// newClientSigner makes a key pair for alg.
func newClientSigner(t testing.TB, alg jose.SignatureAlgorithm) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.RS256, jose.PS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.EdDSA:
		_, k, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// addClientKey uploads a new key of alg to the application as a
// certificate valid until notAfter, or as a JWK when asJWK (a JWK says its
// alg, so PS256 comes that way).
func (g *gatewayEnv) addClientKey(store *models.Store, appID string, alg jose.SignatureAlgorithm, asJWK bool, notAfter time.Time) *clientKey {
	g.t.Helper()
	k := newClientSigner(g.t, alg)
	var data []byte
	if asJWK {
		data, _ = json.Marshal(jose.JSONWebKey{Key: k.Public(), Algorithm: string(alg), KeyID: "kid-" + uuid.NewString()})
	} else {
		der, err := pki.SelfSign(k, "CN=client", time.Now().Add(-time.Hour), notAfter)
		if err != nil {
			g.t.Fatal(err)
		}
		data = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	cc, err := store.AddClientCertificate(g.ctx, models.Actor{}, appID, models.ClientCertificateInput{Description: "key " + uuid.NewString()[:8], Data: data})
	if err != nil {
		g.t.Fatal(err)
	}
	return &clientKey{signer: k, alg: alg, cert: cc}
}

// assertionClaims are an assertion's claims; edit them to break a rule.
type assertionClaims struct {
	jwt.Claims
}

// validClaims are the claims of a good assertion for clientID, to be sent
// to the acme token endpoint.
func (g *gatewayEnv) validClaims(clientID string) assertionClaims {
	now := time.Now()
	return assertionClaims{jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: jwt.Audience{g.cfg.Server.GatewayURL + "/acme/oauth/token"},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: uuid.NewString(),
	}}
}

// sign signs claims with the key, naming it by kid unless kid is false.
func (k *clientKey) sign(t testing.TB, claims any, kid bool) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid {
		opts = opts.WithHeader(jose.HeaderKey("kid"), k.cert.KeyID)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.signer}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// assertionAt posts a client_credentials request with the assertion to
// the path of a gateway server.
func (g *gatewayEnv) assertionAt(gw *httptest.Server, path, assertion string, extra url.Values) (*http.Response, string) {
	g.t.Helper()
	form := url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {assertion}}
	if path == "/acme/oauth/token" {
		form.Set("grant_type", "client_credentials")
	}
	for k, v := range extra {
		form[k] = v
	}
	req, _ := http.NewRequest(http.MethodPost, gw.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return g.do(req)
}

func (g *gatewayEnv) assertionToken(assertion string) (*http.Response, string) {
	return g.assertionAt(g.gw, "/acme/oauth/token", assertion, nil)
}

// wantToken checks that the answer is a token of the application.
func (g *gatewayEnv) wantToken(what string, resp *http.Response, body string) {
	g.t.Helper()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	g.decodeOK(what, resp, body, &tr)
	g.verify(tr.AccessToken)
}

// newAssertionEnv is a gateway env whose application accepts both
// methods.
func newAssertionEnv(t *testing.T, opts ...func(*config.Config)) *gatewayEnv {
	g := newGatewayEnv(t, opts...)
	if _, err := g.store.SetAuthMethods(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestPrivateKeyJWTEachAlgorithm(t *testing.T) {
	g := newAssertionEnv(t)
	for _, c := range []struct {
		alg   jose.SignatureAlgorithm
		asJWK bool
	}{{jose.ES256, false}, {jose.RS256, false}, {jose.PS256, true}, {jose.EdDSA, true}, {jose.EdDSA, false}, {jose.ES256, true}} {
		k := g.addClientKey(g.store, g.app.ID, c.alg, c.asJWK, time.Now().Add(24*time.Hour))
		for _, kid := range []bool{true, false} {
			resp, body := g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), kid))
			g.wantToken(string(c.alg), resp, body)
		}
		// The issuer is an audience too, and client_id may come along.
		claims := g.validClaims(g.app.ClientID)
		claims.Audience = jwt.Audience{"https://elsewhere.example", g.cfg.Server.GatewayURL + "/acme/oidc"}
		resp, body := g.assertionAt(g.gw, "/acme/oauth/token", k.sign(t, claims, true), url.Values{"client_id": {g.app.ClientID}})
		g.wantToken(string(c.alg)+" aud issuer", resp, body)
	}
	// An RSA certificate (no JWK to pin RS256) verifies PS256 too.
	k := g.addClientKey(g.store, g.app.ID, jose.RS256, false, time.Now().Add(time.Hour))
	k.alg = jose.PS256
	resp, body := g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	g.wantToken("PS256 with an RSA certificate", resp, body)
}

// Every refusal is today's invalid_client, word for word.
func TestPrivateKeyJWTRefusals(t *testing.T) {
	g := newAssertionEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 1000 })
	k := g.addClientKey(g.store, g.app.ID, jose.ES256, false, time.Now().Add(time.Hour))
	other, _, err := g.store.CreateApplication(g.ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: "Other", Type: models.AppTypeService,
		AuthMethods: []string{models.AuthPrivateKeyJWT}})
	if err != nil {
		t.Fatal(err)
	}
	otherKey := g.addClientKey(g.store, other.ID, jose.ES256, false, time.Now().Add(time.Hour))
	id := g.app.ClientID
	edit := func(f func(*assertionClaims)) string {
		c := g.validClaims(id)
		f(&c)
		return k.sign(t, c, true)
	}
	replayed := k.sign(t, g.validClaims(id), true)
	if resp, body := g.assertionToken(replayed); resp.StatusCode != http.StatusOK {
		t.Fatalf("first use: %d %s", resp.StatusCode, body)
	}
	// alg none and HS256 keyed with the public key's bytes.
	pubDER, _ := x509.MarshalPKIXPublicKey(k.signer.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pubPEM}, (&jose.SignerOptions{}).WithHeader("kid", k.cert.KeyID))
	hs256, _ := jwt.Signed(hs).Claims(g.validClaims(id)).Serialize()
	payload, _ := json.Marshal(g.validClaims(id))
	none := b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(string(payload)) + "."
	cases := map[string]string{
		"replayed jti":       replayed,
		"expired":            edit(func(c *assertionClaims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(-2 * time.Minute)) }),
		"exp too far ahead":  edit(func(c *assertionClaims) { c.Expiry = jwt.NewNumericDate(time.Now().Add(10 * time.Minute)) }),
		"no exp":             edit(func(c *assertionClaims) { c.Expiry = nil }),
		"nbf ahead":          edit(func(c *assertionClaims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(2 * time.Minute)) }),
		"iat ahead":          edit(func(c *assertionClaims) { c.IssuedAt = jwt.NewNumericDate(time.Now().Add(2 * time.Minute)) }),
		"wrong aud":          edit(func(c *assertionClaims) { c.Audience = jwt.Audience{g.cfg.Server.GatewayURL + "/other/oauth/token"} }),
		"no aud":             edit(func(c *assertionClaims) { c.Audience = nil }),
		"iss not sub":        edit(func(c *assertionClaims) { c.Issuer = other.ClientID }),
		"missing jti":        edit(func(c *assertionClaims) { c.ID = "" }),
		"key of another app": otherKey.sign(t, g.validClaims(id), false),
		"another app's kid":  edit(func(c *assertionClaims) {}) + "x",
		"alg none":           none,
		"HS256 public key":   hs256,
		"garbage":            "not.a.jwt",
		"sub of another app": k.sign(t, g.validClaims(other.ClientID), true),
		"unknown client":     k.sign(t, g.validClaims("nobody"), true),
	}
	for name, a := range cases {
		resp, body := g.assertionToken(a)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
			continue
		}
		g.wantInvalidClient(resp, body, false)
	}
	// A wrong client_assertion_type, and a client_id that is not the
	// assertion's.
	resp, body := g.assertionAt(g.gw, "/acme/oauth/token", k.sign(t, g.validClaims(id), true), url.Values{"client_assertion_type": {"urn:other"}})
	g.wantInvalidClient(resp, body, false)
	resp, body = g.assertionAt(g.gw, "/acme/oauth/token", k.sign(t, g.validClaims(id), true), url.Values{"client_id": {other.ClientID}})
	g.wantInvalidClient(resp, body, false)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// The application's methods are enforced both ways.
func TestAuthMethodsEnforced(t *testing.T) {
	g := newGatewayEnv(t)
	k := g.addClientKey(g.store, g.app.ID, jose.ES256, false, time.Now().Add(time.Hour))
	// client_secret only (the default): an assertion is refused.
	resp, body := g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	g.wantInvalidClient(resp, body, false)
	// private_key_jwt only: the secret is refused, on every endpoint.
	if _, err := g.store.SetAuthMethods(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, []string{models.AuthPrivateKeyJWT}); err != nil {
		t.Fatal(err)
	}
	resp, body = g.token(g.app.ClientID, g.secret)
	g.wantInvalidClient(resp, body, false)
	resp, body = g.post("/acme/oauth/introspect", url.Values{"token": {"x"}}, g.app.ClientID, g.secret)
	g.wantInvalidClient(resp, body, true)
	resp, body = g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	g.decodeOK("token", resp, body, &tr)
	// Introspection and revocation take the same assertion (a new jti each).
	resp, body = g.assertionAt(g.gw, "/acme/oauth/introspect", k.sign(t, g.validClaims(g.app.ClientID), true), url.Values{"token": {tr.AccessToken}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"active":true`) {
		t.Fatalf("introspection: %d %s", resp.StatusCode, body)
	}
	resp, body = g.assertionAt(g.gw, "/acme/oauth/revoke", k.sign(t, g.validClaims(g.app.ClientID), true), url.Values{"token": {tr.AccessToken}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation: %d %s", resp.StatusCode, body)
	}
	// An assertion and a secret at once is one method too many.
	resp, body = g.assertionAt(g.gw, "/acme/oauth/token", k.sign(t, g.validClaims(g.app.ClientID), true), url.Values{"client_secret": {g.secret}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "invalid_request") {
		t.Fatalf("two methods: %d %s", resp.StatusCode, body)
	}
}

// Two client certificates at once both work; deleting one stops it on the
// very next request, here and on another node, and the other keeps working.
func TestPrivateKeyJWTRotationAndDelete(t *testing.T) {
	g := newAssertionEnv(t)
	b := g.secondNode()
	first := g.addClientKey(g.store, g.app.ID, jose.ES256, false, time.Now().Add(time.Hour))
	second := g.addClientKey(g.store, g.app.ID, jose.EdDSA, true, time.Now().Add(time.Hour))
	for _, gw := range []*httptest.Server{g.gw, b.gw} {
		for _, k := range []*clientKey{first, second} {
			resp, body := g.assertionAt(gw, "/acme/oauth/token", k.sign(t, g.validClaims(g.app.ClientID), true), nil)
			g.wantToken("both active", resp, body)
		}
	}
	if _, err := g.store.DeleteClientCertificate(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, first.cert.ID); err != nil {
		t.Fatal(err)
	}
	for _, gw := range []*httptest.Server{g.gw, b.gw} {
		for _, kid := range []bool{true, false} {
			resp, body := g.assertionAt(gw, "/acme/oauth/token", first.sign(t, g.validClaims(g.app.ClientID), kid), nil)
			g.wantInvalidClient(resp, body, false)
		}
		resp, body := g.assertionAt(gw, "/acme/oauth/token", second.sign(t, g.validClaims(g.app.ClientID), true), nil)
		g.wantToken("the other one", resp, body)
	}
	// A jti used on one node is refused on the other.
	a := second.sign(t, g.validClaims(g.app.ClientID), true)
	resp, body := g.assertionAt(g.gw, "/acme/oauth/token", a, nil)
	g.wantToken("first use", resp, body)
	resp, body = g.assertionAt(b.gw, "/acme/oauth/token", a, nil)
	g.wantInvalidClient(resp, body, false)
}

// An expired client certificate is refused on the next request, with no
// cache in between; a certificate cannot be uploaded expired, so time
// moves on instead.
func TestPrivateKeyJWTExpiredCertificate(t *testing.T) {
	g := newAssertionEnv(t)
	k := g.addClientKey(g.store, g.app.ID, jose.ES256, false, time.Now().Add(time.Hour))
	resp, body := g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	g.wantToken("valid", resp, body)
	later := time.Now().Add(2 * time.Hour)
	g.store.Now = func() time.Time { return later }
	c := g.validClaims(g.app.ClientID)
	c.Expiry, c.IssuedAt = jwt.NewNumericDate(later.Add(time.Minute)), jwt.NewNumericDate(later)
	resp, body = g.assertionToken(k.sign(t, c, true))
	g.wantInvalidClient(resp, body, false)
}

// Failures count against the same throttle as wrong secrets.
func TestPrivateKeyJWTThrottled(t *testing.T) {
	g := newAssertionEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 2 })
	k := g.addClientKey(g.store, g.app.ID, jose.ES256, false, time.Now().Add(time.Hour))
	resp, body := g.token(g.app.ClientID, "lks_wrong")
	g.wantInvalidClient(resp, body, false)
	bad := g.validClaims(g.app.ClientID)
	bad.ID = ""
	resp, body = g.assertionToken(k.sign(t, bad, true))
	g.wantInvalidClient(resp, body, false)
	resp, body = g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "invalid_client") {
		t.Fatalf("after two failures: %d %s", resp.StatusCode, body)
	}
}

// The client certificate's last use is written off the response path,
// at most once a minute.
func TestPrivateKeyJWTLastUsed(t *testing.T) {
	g := newAssertionEnv(t)
	k := g.addClientKey(g.store, g.app.ID, jose.ES256, false, time.Now().Add(time.Hour))
	now := time.Now().UTC().Truncate(time.Second)
	g.store.Now = func() time.Time { return now }
	resp, body := g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	g.wantToken("token", resp, body)
	cc, _ := g.store.ClientCertificateByID(g.ctx, g.app.ID, k.cert.ID)
	if cc.LastUsedAt != nil {
		t.Fatal("lastUsedAt written on the response path")
	}
	if err := g.srv.Flush(g.ctx); err != nil {
		t.Fatal(err)
	}
	cc, _ = g.store.ClientCertificateByID(g.ctx, g.app.ID, k.cert.ID)
	if cc.LastUsedAt == nil || !cc.LastUsedAt.Equal(now) {
		t.Fatalf("lastUsedAt = %v, want %v", cc.LastUsedAt, now)
	}
	g.store.Now = func() time.Time { return now.Add(30 * time.Second) }
	resp, body = g.assertionToken(k.sign(t, g.validClaims(g.app.ClientID), true))
	g.wantToken("token", resp, body)
	_ = g.srv.Flush(g.ctx)
	cc, _ = g.store.ClientCertificateByID(g.ctx, g.app.ID, k.cert.ID)
	if !cc.LastUsedAt.Equal(now) {
		t.Fatalf("written again within the minute: %v", cc.LastUsedAt)
	}
}
