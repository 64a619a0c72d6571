package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/google/uuid"
	"golang.org/x/oauth2/clientcredentials"

	"latchkey/config"
	"latchkey/models"
	"latchkey/pki"
)

// chooseCertificate gives the application a new system certificate of
// alg and returns its id.
func (g *gatewayEnv) chooseCertificate(store *models.Store, alg string) string {
	g.t.Helper()
	c, err := store.CreateSystemCertificate(g.ctx, models.Actor{}, g.domain.ID, models.SystemCertificateInput{Name: "Key " + alg, Algorithm: alg})
	if err != nil {
		g.t.Fatal(err)
	}
	if err := store.SetApplicationCertificate(g.ctx, models.Actor{}, g.app.ID, &c.ID); err != nil {
		g.t.Fatal(err)
	}
	return c.ID
}

// uploadCertificate uploads an own certificate of alg as PEM, chooses it
// for the application and returns its id.
func (g *gatewayEnv) uploadCertificate(store *models.Store, alg string) string {
	g.t.Helper()
	pc, err := pki.Generate(pki.GenerateOptions{Algorithm: alg, Subject: "CN=own " + alg, NotBefore: time.Now().Add(-time.Hour), ValidityDays: 30})
	if err != nil {
		g.t.Fatal(err)
	}
	der, err := pc.PrivateKeyDER()
	if err != nil {
		g.t.Fatal(err)
	}
	c, err := store.CreateOwnCertificate(g.ctx, models.Actor{}, g.domain.ID, models.OwnCertificateInput{Name: "Own " + alg,
		CertificatePEM: []byte(pc.ChainPEM()), PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), PSS: alg == pki.PS256})
	if err != nil {
		g.t.Fatal(err)
	}
	if c.Algorithm != alg {
		g.t.Fatalf("uploaded %s certificate has algorithm %s", alg, c.Algorithm)
	}
	if err := store.SetApplicationCertificate(g.ctx, models.Actor{}, g.app.ID, &c.ID); err != nil {
		g.t.Fatal(err)
	}
	return c.ID
}

// header returns a token's kid and alg.
func header(t *testing.T, raw string) (kid, alg string) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil || len(tok.Headers) != 1 {
		t.Fatalf("token %q: %v", raw, err)
	}
	return tok.Headers[0].KeyID, tok.Headers[0].Algorithm
}

// A real OAuth client obtains a token signed with each algorithm, by the
// certificate the application chose, and go-jose verifies it against the
// published JWKS, which lists every certificate with its algorithm, use,
// chain and thumbprint; introspection accepts each; the discovery document
// lists the algorithms in use.
func TestGatewaySignsWithEachAlgorithm(t *testing.T) {
	g := newGatewayEnv(t)
	tokens := map[string]string{}
	for i, alg := range append(slices.Clone(pki.Algorithms), pki.Algorithms...) {
		// Each algorithm as a generated system certificate, then as an
		// uploaded one.
		var id string
		if i < len(pki.Algorithms) {
			id = g.chooseCertificate(g.store, alg)
		} else {
			id = g.uploadCertificate(g.store, alg)
		}
		cc := clientcredentials.Config{ClientID: g.app.ClientID, ClientSecret: g.secret, TokenURL: g.tokenURL()}
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if kid, got := header(t, tok.AccessToken); kid != id || got != alg {
			t.Fatalf("token header kid=%s alg=%s, want kid=%s alg=%s", kid, got, id, alg)
		}
		if claims := g.verify(tok.AccessToken); claims["client_id"] != g.app.ClientID {
			t.Fatalf("%s: claims %v", alg, claims)
		}
		tokens[id] = tok.AccessToken
	}

	set := g.jwks()
	if len(set.Keys) != 1+2*len(pki.Algorithms) {
		t.Fatalf("JWKS has %d keys, want the domain's first and two per algorithm", len(set.Keys))
	}
	resp, body := g.do(mustRequest(http.MethodGet, g.gw.URL+"/acme/oauth/jwks"))
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	g.decodeOK("jwks", resp, body, &raw)
	for i, k := range set.Keys {
		if k.Use != "sig" || len(k.Certificates) == 0 || k.Algorithm == "" {
			t.Fatalf("key %s: use %q, %d certificates, alg %q", k.KeyID, k.Use, len(k.Certificates), k.Algorithm)
		}
		sum := sha256.Sum256(k.Certificates[0].Raw)
		if !bytes.Equal(k.CertificateThumbprintSHA256, sum[:]) {
			t.Fatalf("key %s: x5t#S256 is not the leaf's thumbprint", k.KeyID)
		}
		for _, f := range []string{"kty", "kid", "alg", "use", "x5c", "x5t#S256"} {
			if raw.Keys[i][f] == nil {
				t.Fatalf("key %s lacks %s: %v", k.KeyID, f, raw.Keys[i])
			}
		}
		for _, f := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if raw.Keys[i][f] != nil {
				t.Fatalf("key %s publishes private member %s", k.KeyID, f)
			}
		}
	}
	for id, tok := range tokens {
		if !g.active(tok) {
			t.Fatalf("token of %s not active", id)
		}
	}

	resp, body = g.do(mustRequest(http.MethodGet, g.gw.URL+"/acme/oidc/.well-known/openid-configuration"))
	var meta struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	g.decodeOK("discovery", resp, body, &meta)
	slices.Sort(meta.Algs)
	want := slices.Clone(pki.Algorithms)
	slices.Sort(want)
	if !slices.Equal(meta.Algs, want) {
		t.Fatalf("discovery algorithms %v, want %v", meta.Algs, want)
	}
}

// Introspection verifies with the key its kid names in that key's
// algorithm only: the RS256 certificate's key signing PS256 (a valid RSA
// signature, but not what the certificate publishes) is not accepted,
// while the same claims signed RS256 are.
func TestGatewayIntrospectionBindsKeyToAlgorithm(t *testing.T) {
	g := newGatewayEnv(t)
	id := g.chooseCertificate(g.store, pki.RS256)
	key, err := g.store.SigningKeyByID(g.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := map[string]any{
		"iss": g.cfg.Server.GatewayURL + "/acme/oidc", "sub": g.app.ClientID, "aud": g.app.ClientID,
		"client_id": g.app.ClientID, "scope": "invoices:read", "jti": uuid.NewString(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	sign := func(alg jose.SignatureAlgorithm) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key.Signer}, (&jose.SignerOptions{}).WithHeader("kid", id))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := jwt.Signed(s).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if !g.active(sign(jose.RS256)) {
		t.Fatal("a token signed RS256 by the RS256 certificate is not active")
	}
	if g.active(sign(jose.PS256)) {
		t.Fatal("a token signed PS256 with the RS256 certificate's key is active")
	}
}

// node is a second Latchkey process on the same database: its own Store
// and its own gateway server.
type node struct {
	store *models.Store
	gw    *httptest.Server
}

func (g *gatewayEnv) secondNode() *node {
	g.t.Helper()
	e := newEnv(g.t, func(c *config.Config) { c.Database.DSN = g.cfg.Database.DSN })
	n := &node{store: e.store, gw: httptest.NewServer(e.srv.Gateway)}
	g.t.Cleanup(n.gw.Close)
	return n
}

// tokenAt obtains a token from a gateway server and returns it with its kid.
func (g *gatewayEnv) tokenAt(gw *httptest.Server) (raw, kid string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/acme/oauth/token", bytes.NewBufferString(url.Values{
		"grant_type": {"client_credentials"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := g.do(req)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	g.decodeOK("token", resp, body, &tr)
	kid, _ = header(g.t, tr.AccessToken)
	return tr.AccessToken, kid
}

// jwksAt returns the JWKS document of a gateway server.
func (g *gatewayEnv) jwksAt(gw *httptest.Server) jose.JSONWebKeySet {
	g.t.Helper()
	resp, body := g.do(mustRequest(http.MethodGet, gw.URL+"/acme/oauth/jwks"))
	var set jose.JSONWebKeySet
	g.decodeOK("jwks", resp, body, &set)
	return set
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// activeAt introspects a token at a gateway server.
func (g *gatewayEnv) activeAt(gw *httptest.Server, token string) bool {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/acme/oauth/introspect", bytes.NewBufferString(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(g.app.ClientID), url.QueryEscape(g.secret))
	resp, body := g.do(req)
	var out struct {
		Active bool `json:"active"`
	}
	g.decodeOK("introspect", resp, body, &out)
	return out.Active
}

// Two processes on one database: a rotation on one is published by the
// other at once, and the other signs with the new key once the refresh
// delay has passed on its clock, not before; tokens of the old key still
// verify there.
func TestGatewayRotationOnOneNodeReachesTheOther(t *testing.T) {
	g := newGatewayEnv(t)
	b := g.secondNode()
	start := time.Now()
	b.store.Now = func() time.Time { return start }
	oldToken, first := g.tokenAt(b.gw) // B has parsed and cached the first key

	rotated, err := g.store.RotateCertificate(g.ctx, models.Actor{}, g.domain.ID, models.SystemCertificateInput{Algorithm: pki.PS256})
	if err != nil {
		t.Fatal(err)
	}
	if got := kids(g.jwksAt(b.gw)); !slices.Equal(got, []string{first, rotated.ID}) {
		t.Fatalf("JWKS on the other node = %v, want [%s %s]: the new key is published at once", got, first, rotated.ID)
	}
	if _, kid := g.tokenAt(b.gw); kid != first {
		t.Fatalf("the other node signs with %s before the refresh delay, want %s", kid, first)
	}

	later := start.Add(b.store.CertDefaults.RefreshDelay + time.Second)
	b.store.Now = func() time.Time { return later }
	raw, kid := g.tokenAt(b.gw)
	if kid != rotated.ID {
		t.Fatalf("the other node signs with %s after the refresh delay, want the rotated %s", kid, rotated.ID)
	}
	set := g.jwksAt(b.gw)
	if got := kids(set); !slices.Equal(got, []string{rotated.ID, first}) {
		t.Fatalf("JWKS after the delay = %v, want [%s %s]", got, rotated.ID, first)
	}
	g.verifyAt(set, raw, later)
	if _, alg := header(t, raw); alg != pki.PS256 {
		t.Fatalf("rotated key signs %s, want PS256", alg)
	}
	if !g.activeAt(b.gw, oldToken) || !g.activeAt(b.gw, raw) {
		t.Fatal("tokens of the old and the new key must both be active while both are published")
	}
}

// Two processes on one database: a new choice and a deletion made on one
// are honoured by the other on its next request. An application whose
// chosen certificate disappears falls back to the domain's fallback, then
// to the current system certificate: the token endpoint never fails for
// that reason.
func TestGatewayChoiceAndDeletionOnOneNodeReachTheOther(t *testing.T) {
	g := newGatewayEnv(t)
	b := g.secondNode()
	_, system := g.tokenAt(b.gw)

	own := g.uploadCertificate(g.store, pki.EdDSA)
	ownToken, kid := g.tokenAt(b.gw)
	if kid != own {
		t.Fatalf("the other node signs with %s after the choice, want %s", kid, own)
	}
	// Back to Default, then delete the certificate on the first node.
	if err := g.store.SetApplicationCertificate(g.ctx, models.Actor{}, g.app.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, kid := g.tokenAt(b.gw); kid != system {
		t.Fatalf("the other node signs with %s after the return to Default, want %s", kid, system)
	}
	if !g.activeAt(b.gw, ownToken) {
		t.Fatal("a token of a published certificate is not active")
	}
	if _, err := g.store.DeleteCertificate(g.ctx, models.Actor{}, g.domain.ID, own, nil); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(kids(g.jwksAt(b.gw)), own) {
		t.Fatal("the other node still publishes a deleted certificate")
	}
	if g.activeAt(b.gw, ownToken) {
		t.Fatal("the other node accepts a token of a deleted certificate")
	}

	// A chosen certificate deleted behind the guard (the database edited,
	// or a node of an older version): the fallback signs, then the system
	// certificate.
	fallback := g.uploadCertificate(g.store, pki.ES256)
	chosen := g.uploadCertificate(g.store, pki.PS256)
	if err := g.store.SetApplicationCertificate(g.ctx, models.Actor{}, g.app.ID, &chosen); err != nil {
		t.Fatal(err)
	}
	if err := g.store.SetFallbackCertificate(g.ctx, models.Actor{}, g.domain.ID, &fallback); err != nil {
		t.Fatal(err)
	}
	if _, kid := g.tokenAt(b.gw); kid != chosen {
		t.Fatalf("signs with %s, want the chosen %s", kid, chosen)
	}
	g.deleteSigningKey(chosen)
	if _, kid := g.tokenAt(b.gw); kid != fallback {
		t.Fatalf("signs with %s after the chosen certificate was deleted, want the fallback %s", kid, fallback)
	}
	if err := g.store.SetFallbackCertificate(g.ctx, models.Actor{}, g.domain.ID, nil); err != nil {
		t.Fatal(err)
	}
	current := b.store.Now()
	choice, err := b.store.SigningCertificate(g.ctx, g.app.ID, current)
	if err != nil || choice.Reason != models.SigningChosenGone {
		t.Fatalf("SigningCertificate = %+v, %v; want the chosen one gone", choice, err)
	}
	raw, kid := g.tokenAt(b.gw)
	if kid != choice.Certificate.ID || choice.Certificate.Type != models.CertTypeSystem {
		t.Fatalf("signs with %s without a fallback, want the current system certificate %s", kid, choice.Certificate.ID)
	}
	g.verifyAt(g.jwksAt(b.gw), raw, time.Now())
}

// RFC 8414 metadata at its default location for the issuer: every field
// true and nothing the gateway does not do; the OpenID configuration
// keeps the same fields and adds only what OIDC Discovery requires and can
// be said truthfully.
func TestGatewayMetadataDocuments(t *testing.T) {
	g := newGatewayEnv(t)
	base := g.cfg.Server.GatewayURL + "/acme"
	auth := []any{"client_secret_basic", "client_secret_post", "private_key_jwt"}
	algs := []any{"RS256", "PS256", "ES256", "EdDSA"}
	want := map[string]any{
		"issuer": base + "/oidc", "token_endpoint": base + "/oauth/token", "jwks_uri": base + "/oauth/jwks",
		"introspection_endpoint": base + "/oauth/introspect", "introspection_endpoint_auth_methods_supported": auth,
		"introspection_endpoint_auth_signing_alg_values_supported": algs,
		"revocation_endpoint": base + "/oauth/revoke", "revocation_endpoint_auth_methods_supported": auth,
		"revocation_endpoint_auth_signing_alg_values_supported": algs,
		"grant_types_supported":                                 []any{"client_credentials"}, "token_endpoint_auth_methods_supported": auth,
		"token_endpoint_auth_signing_alg_values_supported": algs,
		"response_types_supported":                         []any{},
	}
	get := func(path string) map[string]any {
		t.Helper()
		resp, body := g.do(mustRequest(http.MethodGet, g.gw.URL+path))
		var m map[string]any
		g.decodeOK(path, resp, body, &m)
		if resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: Content-Type %q", path, resp.Header.Get("Content-Type"))
		}
		return m
	}
	same := func(a, b any) bool { x, _ := json.Marshal(a); y, _ := json.Marshal(b); return bytes.Equal(x, y) }

	as := get("/.well-known/oauth-authorization-server/acme/oidc")
	if !same(as, want) {
		t.Fatalf("RFC 8414 metadata = %v\nwant %v", as, want)
	}
	// Its issuer is the one the path was derived from (RFC 8414 §3.3), and
	// the one tokens carry.
	raw, _ := g.signedToken()
	if claims := g.verify(raw); claims["iss"] != as["issuer"] {
		t.Fatalf("token iss %v, metadata issuer %v", claims["iss"], as["issuer"])
	}

	oidc := get("/acme/oidc/.well-known/openid-configuration")
	want["subject_types_supported"] = []any{"public"}
	want["id_token_signing_alg_values_supported"] = []any{pki.ES256}
	if !same(oidc, want) {
		t.Fatalf("OpenID configuration = %v\nwant %v", oidc, want)
	}
	for _, absent := range []string{"authorization_endpoint", "scopes_supported"} {
		if _, ok := oidc[absent]; ok {
			t.Fatalf("OpenID configuration claims %s", absent)
		}
	}

	for _, path := range []string{"/.well-known/oauth-authorization-server/nowhere/oidc", "/.well-known/oauth-authorization-server/acme"} {
		if resp, _ := g.do(mustRequest(http.MethodGet, g.gw.URL+path)); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
	if _, err := g.store.UpdateDomain(g.ctx, models.Actor{}, g.domain.ID, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: false}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := g.do(mustRequest(http.MethodGet, g.gw.URL+"/.well-known/oauth-authorization-server/acme/oidc")); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("disabled domain's metadata: %d, want 404", resp.StatusCode)
	}
}
