package web_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"latchkey/internal/testdb"
	"latchkey/models"
	"latchkey/web"
)

// accessToken obtains an access token for a client (client_secret_post).
func (g *gatewayEnv) accessToken(clientID, secret string) string {
	g.t.Helper()
	resp, body := g.token(clientID, secret)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &tr) != nil || tr.AccessToken == "" {
		g.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	return tr.AccessToken
}

// introspectAs introspects a token on base (a gateway's URL) as a client
// and returns the answer, failing the test unless it is a 200.
func (g *gatewayEnv) introspectAs(base, clientID, secret, token string) map[string]any {
	g.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/acme/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, body := g.do(req)
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("introspect: %d %s", resp.StatusCode, body)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		g.t.Fatal(err)
	}
	return out
}

// resourceServer adds a second application to acme, the one a resource
// server introspects with, and returns it with its secret.
func (g *gatewayEnv) resourceServer() (*models.Application, string) {
	g.t.Helper()
	a, first, err := g.store.CreateApplication(g.ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: "API", Type: models.AppTypeService})
	if err != nil {
		g.t.Fatal(err)
	}
	return a, first.Value
}

func TestIntrospectionSeesApplicationAndDomainChangesAtOnce(t *testing.T) {
	t.Run("application disabled", func(t *testing.T) {
		g := newGatewayEnv(t)
		rs, rsSecret := g.resourceServer()
		tok := g.accessToken(g.app.ClientID, g.secret)
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != true {
			t.Fatalf("before: %v", got)
		}
		in := models.ApplicationInput{Name: g.app.Name, Type: g.app.Type, Scopes: g.app.Scopes, Disabled: true}
		if _, err := g.store.UpdateApplication(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, in); err != nil {
			t.Fatal(err)
		}
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != false || len(got) != 1 {
			t.Fatalf("token of a disabled application: %v", got)
		}
		in.Disabled = false
		if _, err := g.store.UpdateApplication(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, in); err != nil {
			t.Fatal(err)
		}
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != true {
			t.Fatalf("enabled again: %v", got)
		}
	})
	t.Run("application deleted", func(t *testing.T) {
		g := newGatewayEnv(t)
		rs, rsSecret := g.resourceServer()
		tok := g.accessToken(g.app.ClientID, g.secret)
		if _, err := g.store.DeleteApplication(g.ctx, models.Actor{}, g.domain.ID, g.app.ID); err != nil {
			t.Fatal(err)
		}
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != false || len(got) != 1 {
			t.Fatalf("token of a deleted application: %v", got)
		}
	})
	t.Run("domain disabled", func(t *testing.T) {
		g := newGatewayEnv(t)
		rs, rsSecret := g.resourceServer()
		tok := g.accessToken(g.app.ClientID, g.secret)
		if _, err := g.store.UpdateDomain(g.ctx, models.Actor{}, g.domain.ID, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: false}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ id, secret string }{{rs.ClientID, rsSecret}, {g.app.ClientID, g.secret}} {
			if got := g.introspectAs(g.gw.URL, c.id, c.secret, tok); got["active"] != false || len(got) != 1 {
				t.Fatalf("token of a disabled domain: %v", got)
			}
		}
		// Still only for the domain's clients.
		resp, body := g.post("/acme/oauth/introspect", url.Values{"token": {tok}}, rs.ClientID, g.secret)
		g.wantInvalidClient(resp, body, true)
		resp, body = g.post("/acme/oauth/introspect", url.Values{"token": {tok}}, "", "")
		g.wantInvalidClient(resp, body, false)
	})
}

func TestTokenRevocation(t *testing.T) {
	g := newGatewayEnv(t)
	rs, rsSecret := g.resourceServer()
	revoke := func(form url.Values, id, secret string) (*http.Response, string) {
		t.Helper()
		return g.post("/acme/oauth/revoke", form, id, secret)
	}
	wantOK := func(t *testing.T, resp *http.Response, body string) {
		t.Helper()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("revoke: %d %s (Cache-Control %q), want 200 no-store", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
		}
	}

	t.Run("revoked, then inactive", func(t *testing.T) {
		tok := g.accessToken(g.app.ClientID, g.secret)
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != true {
			t.Fatalf("before: %v", got)
		}
		resp, body := revoke(url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, g.app.ClientID, g.secret)
		wantOK(t, resp, body)
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != false || len(got) != 1 {
			t.Fatalf("after revocation: %v", got)
		}
		// Again, with client_secret_post and another hint: still 200.
		resp, body = revoke(url.Values{"token": {tok}, "token_type_hint": {"refresh_token"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}, "", "")
		wantOK(t, resp, body)
		// The client's other tokens are untouched.
		other := g.accessToken(g.app.ClientID, g.secret)
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, other); got["active"] != true {
			t.Fatalf("another token of the client: %v", got)
		}
	})
	t.Run("another client's token is not revoked", func(t *testing.T) {
		tok := g.accessToken(g.app.ClientID, g.secret)
		resp, body := revoke(url.Values{"token": {tok}}, rs.ClientID, rsSecret)
		wantOK(t, resp, body)
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != true {
			t.Fatalf("revoked by another client: %v", got)
		}
	})
	t.Run("unknown tokens get 200", func(t *testing.T) {
		tok := g.accessToken(g.app.ClientID, g.secret)
		for name, v := range map[string]string{"garbage": "not-a-token", "tampered": tok[:len(tok)-4] + "AAAA", "jwt-shaped": "a.b.c"} {
			resp, body := revoke(url.Values{"token": {v}}, g.app.ClientID, g.secret)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %d %s, want 200", name, resp.StatusCode, body)
			}
		}
	})
	t.Run("bad client authentication", func(t *testing.T) {
		tok := g.accessToken(g.app.ClientID, g.secret)
		resp, body := revoke(url.Values{"token": {tok}}, g.app.ClientID, rsSecret)
		g.wantInvalidClient(resp, body, true)
		resp, body = revoke(url.Values{"token": {tok}}, "", "")
		g.wantInvalidClient(resp, body, false)
		if got := g.introspectAs(g.gw.URL, rs.ClientID, rsSecret, tok); got["active"] != true {
			t.Fatalf("revoked without client authentication: %v", got)
		}
	})
	t.Run("token is required", func(t *testing.T) {
		resp, body := revoke(url.Values{}, g.app.ClientID, g.secret)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "invalid_request") {
			t.Fatalf("%d %s, want 400 invalid_request", resp.StatusCode, body)
		}
	})
	t.Run("metadata lists the endpoint", func(t *testing.T) {
		resp, body := g.do(mustRequest(http.MethodGet, g.gw.URL+"/acme/oidc/.well-known/openid-configuration"))
		var meta map[string]any
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &meta) != nil {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if want := g.cfg.Server.GatewayURL + "/acme/oauth/revoke"; meta["revocation_endpoint"] != want {
			t.Errorf("revocation_endpoint = %v, want %s", meta["revocation_endpoint"], want)
		}
		if !strings.Contains(body, `"revocation_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","private_key_jwt"]`) {
			t.Errorf("metadata = %s", body)
		}
	})
}

func TestRevocationIsSeenByEveryNode(t *testing.T) {
	g := newGatewayEnv(t)
	rs, rsSecret := g.resourceServer()
	// A second node: its own process state, the same database.
	store2, err := models.Open(g.ctx, g.cfg.Database.DSN, nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store2.Close() })
	srv2, err := web.New(g.ctx, g.cfg, store2, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	node2 := httptest.NewServer(srv2.Gateway)
	t.Cleanup(node2.Close)

	tok := g.accessToken(g.app.ClientID, g.secret)
	if got := g.introspectAs(node2.URL, rs.ClientID, rsSecret, tok); got["active"] != true {
		t.Fatalf("node 2 before: %v", got)
	}
	if resp, body := g.post("/acme/oauth/revoke", url.Values{"token": {tok}}, g.app.ClientID, g.secret); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if got := g.introspectAs(node2.URL, rs.ClientID, rsSecret, tok); got["active"] != false {
		t.Fatalf("node 2 after a revocation on node 1: %v", got)
	}
}
