package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"latchkey/config"
	"latchkey/internal/testdb"
	"latchkey/models"
)

const invalidClientBody = `{"error":"invalid_client","error_description":"Client authentication failed due to unknown clientId, expired or invalid client secret"}`

// gatewayEnv is a console env plus its gateway on its own test server, a
// domain "acme" and a service application with a secret.
type gatewayEnv struct {
	*env
	gw     *httptest.Server
	domain *models.Domain
	app    *models.Application
	secret string // the Default secret's value
}

func newGatewayEnv(t *testing.T, opts ...func(*config.Config)) *gatewayEnv {
	t.Helper()
	e := newEnv(t, opts...)
	g := &gatewayEnv{env: e, gw: httptest.NewServer(e.srv.Gateway)}
	t.Cleanup(g.gw.Close)
	d, err := e.store.CreateDomain(e.ctx, models.Actor{}, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	a, first, err := e.store.CreateApplication(e.ctx, models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing", Type: models.AppTypeService, Scopes: "invoices:read invoices:write"})
	if err != nil {
		t.Fatal(err)
	}
	g.domain, g.app, g.secret = d, a, first.Value
	return g
}

func (g *gatewayEnv) tokenURL() string { return g.gw.URL + "/acme/oauth/token" }

// post sends a form to a gateway path with optional Basic credentials.
func (g *gatewayEnv) post(path string, form url.Values, basicID, basicSecret string) (*http.Response, string) {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.gw.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" || basicSecret != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	return g.do(req)
}

func (g *gatewayEnv) do(req *http.Request) (*http.Response, string) {
	g.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// token obtains a token with client_secret_post.
func (g *gatewayEnv) token(clientID, secret string) (*http.Response, string) {
	return g.post("/acme/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}, "", "")
}

func (g *gatewayEnv) wantInvalidClient(resp *http.Response, body string, basic bool) {
	g.t.Helper()
	if resp.StatusCode != http.StatusUnauthorized || strings.TrimSpace(body) != invalidClientBody {
		g.t.Fatalf("got %d %s, want 401 %s", resp.StatusCode, body, invalidClientBody)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		g.t.Fatalf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
	if got := resp.Header.Get("WWW-Authenticate"); basic != strings.HasPrefix(got, "Basic") {
		g.t.Fatalf("WWW-Authenticate = %q (basic used: %v)", got, basic)
	}
}

// verify checks an access token against the published JWKS with go-jose.
func (g *gatewayEnv) verify(raw string) map[string]any {
	g.t.Helper()
	return g.verifyAt(g.jwks(), raw, time.Now())
}

// verifyAt checks an access token against a JWKS document with go-jose at
// time t: the key its kid names must be published for the algorithm its
// header names, and the signature and claims must hold.
func (g *gatewayEnv) verifyAt(set jose.JSONWebKeySet, raw string, t time.Time) map[string]any {
	g.t.Helper()
	for _, k := range set.Keys {
		if !k.IsPublic() {
			g.t.Fatal("JWKS publishes a private key")
		}
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.PS256, jose.EdDSA})
	if err != nil {
		g.t.Fatal(err)
	}
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		g.t.Fatalf("kid %q not in JWKS", tok.Headers[0].KeyID)
	}
	if keys[0].Algorithm != tok.Headers[0].Algorithm {
		g.t.Fatalf("token alg %s, its key's alg %s", tok.Headers[0].Algorithm, keys[0].Algorithm)
	}
	var std jwt.Claims
	claims := map[string]any{}
	if err := tok.Claims(keys[0].Key, &std, &claims); err != nil {
		g.t.Fatalf("signature does not verify: %v", err)
	}
	if err := std.Validate(jwt.Expected{Issuer: g.cfg.Server.GatewayURL + "/acme/oidc", Subject: g.app.ClientID, AnyAudience: jwt.Audience{g.app.ClientID}, Time: t}); err != nil {
		g.t.Fatalf("claims: %v", err)
	}
	return claims
}

// jwks returns the JWKS document the gateway publishes for acme.
func (g *gatewayEnv) jwks() jose.JSONWebKeySet {
	g.t.Helper()
	resp, body := g.do(mustRequest(http.MethodGet, g.gw.URL+"/acme/oauth/jwks"))
	var set jose.JSONWebKeySet
	g.decodeOK("jwks", resp, body, &set)
	return set
}

// decodeOK fails the test unless the answer is a 200, and decodes its JSON
// body into v.
func (g *gatewayEnv) decodeOK(what string, resp *http.Response, body string, v any) {
	g.t.Helper()
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("%s: %d %s", what, resp.StatusCode, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		g.t.Fatalf("%s: %v", what, err)
	}
}

func mustRequest(method, u string) *http.Request {
	r, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return r
}

func TestGatewayRealOAuthClientBothAuthStyles(t *testing.T) {
	g := newGatewayEnv(t)
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cc := clientcredentials.Config{ClientID: g.app.ClientID, ClientSecret: g.secret, TokenURL: g.tokenURL(), Scopes: []string{"invoices:read"}, AuthStyle: style}
		tok, err := cc.Token(context.Background())
		if err != nil {
			t.Fatalf("style %v: %v", style, err)
		}
		if tok.TokenType != "bearer" || tok.Expiry.Before(time.Now().Add(7190*time.Second)) || tok.Extra("scope") != "invoices:read" {
			t.Fatalf("style %v: token %+v scope %v", style, tok, tok.Extra("scope"))
		}
		claims := g.verify(tok.AccessToken)
		if claims["client_id"] != g.app.ClientID || claims["scope"] != "invoices:read" || claims["jti"] == "" || claims["iat"] == nil {
			t.Fatalf("claims = %v", claims)
		}
	}
}

func TestGatewayTokenResponseShape(t *testing.T) {
	g := newGatewayEnv(t)
	resp, body := g.token(g.app.ClientID, g.secret)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	if r["token_type"] != "bearer" || r["expires_in"] != float64(7200) || r["scope"] != "invoices:read invoices:write" || r["access_token"] == "" {
		t.Fatalf("body = %v", r)
	}
	// The header carries the key id.
	tok, _ := jwt.ParseSigned(r["access_token"].(string), []jose.SignatureAlgorithm{jose.ES256})
	if tok.Headers[0].KeyID == "" {
		t.Fatal("no kid in the token header")
	}
}

func TestGatewayRejections(t *testing.T) {
	// Many failures from one address: keep the throttle out of the way.
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 1000 })
	ctx := g.ctx
	other, otherFirst, err := g.store.CreateApplication(ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: "Other", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	renewed, _ := g.store.CreateSecret(ctx, models.Actor{}, g.app.ID, "to renew")
	oldValue := renewed.Value
	if _, err := g.store.RenewSecret(ctx, models.Actor{}, g.app.ID, renewed.ID); err != nil {
		t.Fatal(err)
	}
	deleted, _ := g.store.CreateSecret(ctx, models.Actor{}, g.app.ID, "to delete")
	if _, err := g.store.DeleteSecret(ctx, models.Actor{}, g.app.ID, deleted.ID, nil); err != nil {
		t.Fatal(err)
	}
	// Same shape, one checksum character changed.
	last := g.secret[len(g.secret)-1]
	swap := byte('0')
	if last == '0' {
		swap = '1'
	}
	badChecksum := g.secret[:len(g.secret)-1] + string(swap)

	cases := []struct {
		name, id, secret string
	}{
		{"unknown client", "no-such-client", g.secret},
		{"wrong secret", g.app.ClientID, "lks_" + strings.Repeat("A", 49)},
		{"old value after renew", g.app.ClientID, oldValue},
		{"after delete", g.app.ClientID, deleted.Value},
		{"secret of another application", g.app.ClientID, otherFirst.Value},
		{"valid format, bad checksum", g.app.ClientID, badChecksum},
		{"empty secret", g.app.ClientID, ""},
		{"not a secret", g.app.ClientID, "password"},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/post", func(t *testing.T) {
			resp, body := g.token(tc.id, tc.secret)
			g.wantInvalidClient(resp, body, false)
		})
		t.Run(tc.name+"/basic", func(t *testing.T) {
			resp, body := g.post("/acme/oauth/token", url.Values{"grant_type": {"client_credentials"}}, tc.id, tc.secret)
			g.wantInvalidClient(resp, body, true)
		})
	}
	t.Run("wrong domain", func(t *testing.T) {
		d2, _ := g.store.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Elsewhere", Enabled: true})
		resp, body := g.post("/"+d2.HRID+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}, "", "")
		g.wantInvalidClient(resp, body, false)
	})
	t.Run("no credentials", func(t *testing.T) {
		resp, body := g.post("/acme/oauth/token", url.Values{"grant_type": {"client_credentials"}}, "", "")
		g.wantInvalidClient(resp, body, false)
	})
	for name, header := range map[string]string{
		"not base64":   "Basic %%%",
		"no colon":     "Basic " + base64.StdEncoding.EncodeToString([]byte("justanid")),
		"bad escape":   "Basic " + base64.StdEncoding.EncodeToString([]byte("id:%zz")),
		"other scheme": "Bearer abc",
		"empty":        "Basic ",
	} {
		t.Run("malformed Authorization/"+name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.tokenURL(), strings.NewReader("grant_type=client_credentials"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", header)
			resp, body := g.do(req)
			g.wantInvalidClient(resp, body, true)
		})
	}
	// Disabled application, then disabled domain.
	in := models.ApplicationInput{Name: g.app.Name, Type: g.app.Type, Scopes: g.app.Scopes, Disabled: true}
	if _, err := g.store.UpdateApplication(ctx, models.Actor{}, g.domain.ID, g.app.ID, in); err != nil {
		t.Fatal(err)
	}
	resp, body := g.token(g.app.ClientID, g.secret)
	g.wantInvalidClient(resp, body, false)
	in.Disabled = false
	if _, err := g.store.UpdateApplication(ctx, models.Actor{}, g.domain.ID, g.app.ID, in); err != nil {
		t.Fatal(err)
	}
	if resp, body := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatalf("re-enabled application: %d %s", resp.StatusCode, body)
	}
	if _, err := g.store.UpdateDomain(ctx, models.Actor{}, g.domain.ID, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: false}); err != nil {
		t.Fatal(err)
	}
	resp, body = g.token(g.app.ClientID, g.secret)
	g.wantInvalidClient(resp, body, false)
}

func TestGatewayExpiredSecretRejected(t *testing.T) {
	g := newGatewayEnv(t)
	now := time.Now()
	g.store.Now = func() time.Time { return now }
	if _, _, err := g.store.UpdateDomainSecretPolicy(g.ctx, models.Actor{}, g.domain.ID, models.ExpiryInput{Enabled: true, Unit: "HOURS", Duration: "1"}); err != nil {
		t.Fatal(err)
	}
	ns, err := g.store.CreateSecret(g.ctx, models.Actor{}, g.app.ID, "short-lived")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := g.token(g.app.ClientID, ns.Value); resp.StatusCode != 200 {
		t.Fatalf("fresh secret refused: %d %s", resp.StatusCode, body)
	}
	g.store.Now = func() time.Time { return now.Add(time.Hour) }
	resp, body := g.token(g.app.ClientID, ns.Value)
	g.wantInvalidClient(resp, body, false)
	// The never-expiring Default secret still works at the same moment.
	if resp, body := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatalf("default secret refused: %d %s", resp.StatusCode, body)
	}
}

func TestGatewayRotationWithoutDowntime(t *testing.T) {
	g := newGatewayEnv(t)
	second, err := g.store.CreateSecret(g.ctx, models.Actor{}, g.app.ID, "next")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{g.secret, second.Value} {
		if resp, body := g.token(g.app.ClientID, v); resp.StatusCode != 200 {
			t.Fatalf("both secrets must work: %d %s", resp.StatusCode, body)
		}
	}
	list, _ := g.store.Secrets(g.ctx, g.app.ID)
	if _, err := g.store.DeleteSecret(g.ctx, models.Actor{}, g.app.ID, list[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	resp, body := g.token(g.app.ClientID, g.secret)
	g.wantInvalidClient(resp, body, false)
	if resp, body := g.token(g.app.ClientID, second.Value); resp.StatusCode != 200 {
		t.Fatalf("second secret after deleting the first: %d %s", resp.StatusCode, body)
	}
}

func TestGatewayOtherErrors(t *testing.T) {
	g := newGatewayEnv(t)
	web, webFirst, _ := g.store.CreateApplication(g.ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: "Portal", Type: models.AppTypeWeb})
	cases := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"missing grant_type", url.Values{"client_id": {g.app.ClientID}, "client_secret": {g.secret}}, 400, "invalid_request"},
		{"repeated grant_type", url.Values{"grant_type": {"client_credentials", "client_credentials"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}, 400, "invalid_request"},
		{"unsupported grant", url.Values{"grant_type": {"password"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}, 400, "unsupported_grant_type"},
		{"scope not allowed", url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read admin"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}, 400, "invalid_scope"},
		{"web application", url.Values{"grant_type": {"client_credentials"}, "client_id": {web.ClientID}, "client_secret": {webFirst.Value}}, 400, "unauthorized_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := g.post("/acme/oauth/token", tc.form, "", "")
			if resp.StatusCode != tc.status || !strings.Contains(body, `"error":"`+tc.code+`"`) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
		})
	}
	t.Run("JSON body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, g.tokenURL(), strings.NewReader(`{"grant_type":"client_credentials"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, body := g.do(req)
		if resp.StatusCode != 400 || !strings.Contains(body, "invalid_request") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("both auth methods", func(t *testing.T) {
		resp, body := g.post("/acme/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_secret": {g.secret}}, g.app.ClientID, g.secret)
		if resp.StatusCode != 400 || !strings.Contains(body, "invalid_request") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}

func TestGatewayDiscoveryJWKSAndIntrospection(t *testing.T) {
	g := newGatewayEnv(t)
	resp, body := g.do(mustRequest(http.MethodGet, g.gw.URL+"/acme/oidc/.well-known/openid-configuration"))
	var meta map[string]any
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &meta) != nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	base := g.cfg.Server.GatewayURL + "/acme"
	for k, want := range map[string]string{"issuer": base + "/oidc", "token_endpoint": base + "/oauth/token", "jwks_uri": base + "/oauth/jwks", "introspection_endpoint": base + "/oauth/introspect"} {
		if meta[k] != want {
			t.Errorf("%s = %v, want %s", k, meta[k], want)
		}
	}
	if !strings.Contains(body, `"grant_types_supported":["client_credentials"]`) || !strings.Contains(body, `"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","private_key_jwt"]`) {
		t.Errorf("metadata = %s", body)
	}
	if resp, _ := g.do(mustRequest(http.MethodGet, g.gw.URL+"/nowhere/oauth/jwks")); resp.StatusCode != 404 {
		t.Errorf("unknown domain JWKS: %d", resp.StatusCode)
	}

	_, tb := g.token(g.app.ClientID, g.secret)
	var tr map[string]any
	_ = json.Unmarshal([]byte(tb), &tr)
	access := tr["access_token"].(string)
	introspect := func(token string) map[string]any {
		resp, body := g.post("/acme/oauth/introspect", url.Values{"token": {token}}, g.app.ClientID, g.secret)
		if resp.StatusCode != 200 {
			t.Fatalf("introspect: %d %s", resp.StatusCode, body)
		}
		var out map[string]any
		_ = json.Unmarshal([]byte(body), &out)
		return out
	}
	if got := introspect(access); got["active"] != true || got["client_id"] != g.app.ClientID || got["scope"] != "invoices:read invoices:write" {
		t.Fatalf("active token: %v", got)
	}
	for name, tok := range map[string]string{"malformed": "not-a-jwt", "tampered": access[:len(access)-4] + "AAAA", "empty-ish": "a.b.c"} {
		if got := introspect(tok); got["active"] != false || len(got) != 1 {
			t.Errorf("%s token: %v", name, got)
		}
	}
	// A token of another domain is foreign here.
	d2, _ := g.store.CreateDomain(g.ctx, models.Actor{}, models.DomainInput{Name: "Other", HRID: "other", Enabled: true})
	a2, s2, _ := g.store.CreateApplication(g.ctx, models.Actor{}, d2.ID, models.ApplicationInput{Name: "X", Type: models.AppTypeService})
	_, fb := g.post("/other/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {a2.ClientID}, "client_secret": {s2.Value}}, "", "")
	var fr map[string]any
	_ = json.Unmarshal([]byte(fb), &fr)
	if got := introspect(fr["access_token"].(string)); got["active"] != false {
		t.Errorf("foreign token: %v", got)
	}
	// Expired: move the clock past the lifetime.
	g.store.Now = func() time.Time { return time.Now().Add(7201 * time.Second) }
	if got := introspect(access); got["active"] != false {
		t.Errorf("expired token: %v", got)
	}
	// Introspection needs client authentication.
	resp, body = g.post("/acme/oauth/introspect", url.Values{"token": {access}}, "", "")
	g.wantInvalidClient(resp, body, false)
}

func TestGatewayLastUsedWrittenAtMostOncePerMinute(t *testing.T) {
	g := newGatewayEnv(t)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	g.store.Now = func() time.Time { return now }
	if resp, _ := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatal("token refused")
	}
	list, _ := g.store.Secrets(g.ctx, g.app.ID)
	if list[0].LastUsedAt != nil {
		t.Fatal("lastUsedAt written on the response path")
	}
	if err := g.srv.Flush(g.ctx); err != nil {
		t.Fatal(err)
	}
	list, _ = g.store.Secrets(g.ctx, g.app.ID)
	if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(now) {
		t.Fatalf("lastUsedAt = %v, want %v", list[0].LastUsedAt, now)
	}
	// 30 s later: used again, but not written again within the minute.
	g.store.Now = func() time.Time { return now.Add(30 * time.Second) }
	g.token(g.app.ClientID, g.secret)
	_ = g.srv.Flush(g.ctx)
	list, _ = g.store.Secrets(g.ctx, g.app.ID)
	if !list[0].LastUsedAt.Equal(now) {
		t.Fatalf("written again within the minute: %v", list[0].LastUsedAt)
	}
	// After the minute it is written again.
	later := now.Add(61 * time.Second)
	g.store.Now = func() time.Time { return later }
	g.token(g.app.ClientID, g.secret)
	_ = g.srv.Flush(g.ctx)
	list, _ = g.store.Secrets(g.ctx, g.app.ID)
	if !list[0].LastUsedAt.Equal(later) {
		t.Fatalf("lastUsedAt = %v, want %v", list[0].LastUsedAt, later)
	}
	// The console shows it.
	c, _ := g.admin()
	r := c.get("/domains/" + g.domain.ID + "/applications/" + g.app.ID + "/secrets")
	if got := r.text(".secret-last-used"); strings.Contains(got, "Never") {
		t.Fatalf("last used column = %q", got)
	}
}

func TestGatewayFailedAuthenticationRateLimitedAndSummarised(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 3 })
	for i := 0; i < 3; i++ {
		resp, body := g.token(g.app.ClientID, "lks_wrong")
		g.wantInvalidClient(resp, body, false)
	}
	resp, body := g.token(g.app.ClientID, g.secret) // even the right secret waits
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "invalid_client") {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
	g.wantOneFailureSummary("3 failed client authentications, 1 refused")
}

// wantOneFailureSummary flushes the failure summary and wants one audit
// event of it, in acme, whose detail holds detail.
func (g *gatewayEnv) wantOneFailureSummary(detail string) {
	g.t.Helper()
	if err := g.srv.Flush(g.ctx); err != nil {
		g.t.Fatal(err)
	}
	page, err := g.store.AuditEvents(g.ctx, models.AuditFilter{Type: models.EventClientAuthFailed})
	if err != nil {
		g.t.Fatal(err)
	}
	if page.Total != 1 || page.Events[0].DomainID != g.domain.ID || !strings.Contains(page.Events[0].Detail, detail) {
		g.t.Fatalf("summary events = %+v", page.Events)
	}
}

func TestGatewayChangesTakeEffectOnNextRequest(t *testing.T) {
	g := newGatewayEnv(t)
	c, _ := g.admin()
	if resp, _ := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatal("token refused")
	}
	// Renew through the console: the old value fails on the very next request.
	list, _ := g.store.Secrets(g.ctx, g.app.ID)
	tab := "/domains/" + g.domain.ID + "/applications/" + g.app.ID + "/secrets"
	r := c.submit(tab+"/"+list[0].ID+"/renew", tab+"/"+list[0].ID+"/renew", url.Values{})
	r.wantStatus(http.StatusOK)
	newValue := r.attr("#secret-value", "value")
	resp, body := g.token(g.app.ClientID, g.secret)
	g.wantInvalidClient(resp, body, false)
	if resp, _ := g.token(g.app.ClientID, newValue); resp.StatusCode != 200 {
		t.Fatal("renewed value refused")
	}
}

func TestGatewayMetrics(t *testing.T) {
	const scrapeToken = "scrape-token-0123456789"
	g := newGatewayEnv(t, func(c *config.Config) { c.Metrics.BearerToken = scrapeToken })
	if resp, _ := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatal("token refused")
	}
	resp, body := g.token(g.app.ClientID, "wrong")
	g.wantInvalidClient(resp, body, false)
	// The console serves /metrics to a signed-in administrator and to a
	// scraper with metrics.bearerToken (see metrics_test.go for who else is
	// refused).
	admin, _ := g.admin()
	scrapes := []struct {
		name string
		get  func() (int, string)
	}{
		{"console, administrator's session", func() (int, string) {
			r := admin.get("/metrics")
			return r.Status, r.Body
		}},
		{"console, bearer token", func() (int, string) {
			req := mustRequest(http.MethodGet, g.ts.URL+"/metrics")
			req.Header.Set("Authorization", "Bearer "+scrapeToken)
			resp, body := g.do(req)
			return resp.StatusCode, body
		}},
	}
	for _, s := range scrapes {
		status, body := s.get()
		if status != 200 {
			t.Fatalf("%s: /metrics: %d", s.name, status)
		}
		for _, want := range []string{
			`latchkey_token_requests_total{endpoint="token",outcome="success"} 1`,
			`latchkey_token_requests_total{endpoint="token",outcome="invalid_client"} 1`,
			`latchkey_token_request_duration_seconds_count{endpoint="token"} 2`,
			`latchkey_client_secrets{domain="acme",status="active"} 1`,
			`latchkey_client_secrets{domain="acme",status="expired"} 0`,
			`go_sql_max_open_connections{db_name="latchkey"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: /metrics lacks %q", s.name, want)
			}
		}
	}
	// The gateway faces clients: it serves no /metrics, token or not.
	req := mustRequest(http.MethodGet, g.gw.URL+"/metrics")
	req.Header.Set("Authorization", "Bearer "+scrapeToken)
	if resp, _ := g.do(req); resp.StatusCode != 404 {
		t.Fatalf("gateway /metrics: %d", resp.StatusCode)
	}
	// With metrics.addr set, the listeners do not serve /metrics.
	own := newGatewayEnv(t, func(c *config.Config) { c.Metrics.Addr = "127.0.0.1:0" })
	if resp, _ := own.do(mustRequest(http.MethodGet, own.gw.URL+"/metrics")); resp.StatusCode != 404 {
		t.Fatalf("gateway /metrics with metrics.addr set: %d", resp.StatusCode)
	}
	ownAdmin, _ := own.admin()
	if r := ownAdmin.get("/metrics"); r.Status != 404 {
		t.Fatalf("console /metrics with metrics.addr set: %d", r.Status)
	}
}

// Behind a configured proxy, the client address comes from X-Forwarded-For:
// one client's failures do not throttle another client behind the same proxy.
func TestGatewayTrustedProxyAddresses(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) {
		c.Security.Token.MaxAttempts = 2
		c.Server.TrustedProxies = "127.0.0.1"
	})
	send := func(clientID, secret, xff string) *http.Response {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
		req, _ := http.NewRequest(http.MethodPost, g.tokenURL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		resp, _ := g.do(req)
		return resp
	}
	for i := 0; i < 2; i++ {
		send(fmt.Sprint("attacker-", i), "lks_x", "203.0.113.9")
	}
	if resp := send("attacker-9", "lks_x", "203.0.113.9"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the throttled address got %d", resp.StatusCode)
	}
	if resp := send(g.app.ClientID, g.secret, "198.51.100.7"); resp.StatusCode != http.StatusOK {
		t.Fatalf("another client behind the proxy got %d", resp.StatusCode)
	}
}

// Connections killed under the gateway (a database failover, a restart)
// are replaced by the pool: the next request works without a restart.
func TestGatewayRecoversFromLostDatabaseConnections(t *testing.T) {
	g := newGatewayEnv(t)
	if resp, _ := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatal("token refused")
	}
	if testdb.Postgres() {
		// Terminate every connection this test's pool holds. The handle
		// does not migrate: the server's own schema is shared by every
		// package under test, and it only kills connections.
		admin, err := models.Open(g.ctx, os.Getenv(testdb.EnvDSN), nil, models.WithKeyEncryptionKey(testdb.KEK()), models.WithoutMigrating())
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		sqlDB, _ := admin.SQLDB()
		u, err := url.Parse(g.cfg.Database.DSN)
		if err != nil {
			t.Fatal(err)
		}
		var killed int
		if err := sqlDB.QueryRowContext(g.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND pid <> pg_backend_pid()`, u.Query().Get("application_name")).Scan(&killed); err != nil {
			t.Fatal(err)
		}
		if killed == 0 {
			t.Fatal("no connection of this test's pool was found to terminate")
		}
	} else {
		// SQLite: close every idle connection; the pool must open new ones.
		sqlDB, _ := g.store.SQLDB()
		sqlDB.SetMaxIdleConns(0)
		sqlDB.SetMaxIdleConns(2)
	}
	if resp, body := g.token(g.app.ClientID, g.secret); resp.StatusCode != 200 {
		t.Fatalf("after losing connections: %d %s", resp.StatusCode, body)
	}
	if resp, body := g.do(mustRequest(http.MethodGet, g.gw.URL+"/healthz")); resp.StatusCode != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
}

// With the database gone, /healthz reports degraded (503) and the process
// keeps answering.
func TestHealthzDegradedWithoutDatabase(t *testing.T) {
	g := newGatewayEnv(t)
	g.allowErrorLogs = true
	_ = g.store.Close()
	for _, base := range []string{g.gw.URL, g.ts.URL} {
		resp, body := g.do(mustRequest(http.MethodGet, base+"/healthz"))
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"degraded"`) {
			t.Fatalf("%s/healthz: %d %s", base, resp.StatusCode, body)
		}
	}
	resp, body := g.token(g.app.ClientID, g.secret)
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(body, "sql") {
		t.Fatalf("token with no database: %d %s", resp.StatusCode, body)
	}
}

// Ids no row can hold (NUL, invalid UTF-8) are refused like unknown ones,
// never with a database error.
func TestGatewayRefusesUnstorableIDs(t *testing.T) {
	g := newGatewayEnv(t)
	for _, id := range []string{"a\x00b", "\xff\xfe"} {
		resp, body := g.token(id, g.secret)
		g.wantInvalidClient(resp, body, false)
	}
	resp, body := g.post("/a%00b/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}, "", "")
	g.wantInvalidClient(resp, body, false)
	if resp, _ := g.do(mustRequest(http.MethodGet, g.gw.URL+"/a%00b/oauth/jwks")); resp.StatusCode != 404 {
		t.Fatalf("jwks with NUL: %d", resp.StatusCode)
	}
}

// The failure summary never stores a secret value sent as client_id, and
// ids PostgreSQL cannot hold neither fail the summary nor lose the others.
func TestGatewayFailureSummarySafeToStore(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = 100 })
	// Swapped id and secret: the secret arrives as client_id.
	resp, body := g.post("/acme/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {g.secret}, "client_secret": {g.app.ClientID}}, "", "")
	g.wantInvalidClient(resp, body, false)
	for _, id := range []string{"a\x00b", "\xff", "plain-wrong-id"} {
		resp, body := g.token(id, "lks_wrong")
		g.wantInvalidClient(resp, body, false)
	}
	if err := g.srv.Flush(g.ctx); err != nil {
		t.Fatal(err)
	}
	page, err := g.store.AuditEvents(g.ctx, models.AuditFilter{Type: models.EventClientAuthFailed, PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 4 {
		t.Fatalf("%d summary events, want 4", page.Total)
	}
	for _, ev := range page.Events {
		if strings.Contains(ev.TargetName+ev.ActorEmail+ev.Detail, g.secret[4:49]) {
			t.Fatal("a secret value reached the audit log")
		}
	}
}
