package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"latchkey/models"
)

// rfc9068Claims verifies a token's signature against the JWKS and returns
// its header type and claims, without the audience check of verify.
func (g *gatewayEnv) rfc9068Claims(raw string) (string, map[string]any) {
	g.t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		g.t.Fatal(err)
	}
	set := g.jwks()
	keys := set.Key(tok.Headers[0].KeyID)
	if len(keys) != 1 {
		g.t.Fatalf("kid %q not in JWKS", tok.Headers[0].KeyID)
	}
	claims := map[string]any{}
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		g.t.Fatalf("signature does not verify: %v", err)
	}
	typ, _ := tok.Headers[0].ExtraHeaders[jose.HeaderType].(string)
	return typ, claims
}

// tokenWith posts form with the client's credentials and returns the
// access token, failing unless the answer is 200.
func (g *gatewayEnv) tokenWith(form url.Values) string {
	g.t.Helper()
	form.Set("grant_type", "client_credentials")
	resp, body := g.post("/acme/oauth/token", form, g.app.ClientID, g.secret)
	if resp.StatusCode != http.StatusOK {
		g.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var r struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		g.t.Fatal(err)
	}
	return r.AccessToken
}

// audList reads aud, a string or an array (RFC 7519 §4.1.3).
func audList(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, s := range a {
			str, _ := s.(string)
			out = append(out, str)
		}
		return out
	}
	return nil
}

func TestGatewayRFC9068Profile(t *testing.T) {
	g := newGatewayEnv(t)
	before := time.Now().Add(-time.Second).Unix()
	typ, c := g.rfc9068Claims(g.tokenWith(url.Values{}))
	if typ != "at+jwt" {
		t.Errorf("typ = %q, want at+jwt (RFC 9068 §2.1)", typ)
	}
	// RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti are required.
	if c["iss"] != g.cfg.Server.GatewayURL+"/acme/oidc" {
		t.Errorf("iss = %v", c["iss"])
	}
	if c["sub"] != g.app.ClientID || c["client_id"] != g.app.ClientID {
		t.Errorf("sub = %v, client_id = %v, want %s", c["sub"], c["client_id"], g.app.ClientID)
	}
	if got := audList(c["aud"]); !slices.Equal(got, []string{g.app.ClientID}) {
		t.Errorf("aud without resource = %v, want the client id", got)
	}
	iat, _ := c["iat"].(float64)
	exp, _ := c["exp"].(float64)
	if int64(iat) < before || int64(iat) > time.Now().Unix()+1 || int64(exp)-int64(iat) != 7200 {
		t.Errorf("iat = %v, exp = %v", c["iat"], c["exp"])
	}
	if jti, _ := c["jti"].(string); jti == "" {
		t.Error("no jti")
	}
	if c["scope"] != "invoices:read invoices:write" {
		t.Errorf("scope = %v", c["scope"])
	}
	// Two tokens never share a jti.
	_, c2 := g.rfc9068Claims(g.tokenWith(url.Values{}))
	if c2["jti"] == c["jti"] {
		t.Error("jti repeated")
	}
}

func TestGatewayResourceIndicators(t *testing.T) {
	g := newGatewayEnv(t)
	const api1, api2 = "https://api.example.com/invoices", "urn:example:ledger"

	// No resource allowed yet: any resource is an invalid target.
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {api1}}
	resp, body := g.post("/acme/oauth/token", form, g.app.ClientID, g.secret)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error":"invalid_target"`) {
		t.Fatalf("resource not allowed: %d %s, want 400 invalid_target", resp.StatusCode, body)
	}

	a, err := g.store.UpdateApplication(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, models.ApplicationInput{
		Name: g.app.Name, Type: g.app.Type, Scopes: g.app.Scopes, Resources: []string{api2, api1, api1}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.ResourceList(), []string{api1, api2}) {
		t.Fatalf("stored resources = %q, want sorted and unique", a.Resources)
	}

	_, c := g.rfc9068Claims(g.tokenWith(url.Values{"resource": {api1}}))
	if got := audList(c["aud"]); !slices.Equal(got, []string{api1}) {
		t.Errorf("aud = %v, want [%s]", got, api1)
	}
	_, c = g.rfc9068Claims(g.tokenWith(url.Values{"resource": {api1, api2}}))
	if got := audList(c["aud"]); !slices.Equal(got, []string{api1, api2}) {
		t.Errorf("aud with two resources = %v", got)
	}
	_, c = g.rfc9068Claims(g.tokenWith(url.Values{}))
	if got := audList(c["aud"]); !slices.Equal(got, []string{g.app.ClientID}) {
		t.Errorf("aud without resource = %v, want the client id", got)
	}

	for _, bad := range [][]string{
		{"https://other.example.com/"},  // not allowed
		{api1, "https://evil.example/"}, // one of two not allowed
		{api1 + "#frag"},                // fragment (RFC 8707 §2)
		{"relative/path"},               // not absolute
		{""},                            // empty
	} {
		form := url.Values{"grant_type": {"client_credentials"}, "resource": bad}
		resp, body := g.post("/acme/oauth/token", form, g.app.ClientID, g.secret)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"error":"invalid_target"`) {
			t.Errorf("resource %q: %d %s, want 400 invalid_target", bad, resp.StatusCode, body)
		}
	}

	// The console's edit form has no resource list: saving it keeps them.
	a, err = g.store.UpdateApplication(g.ctx, models.Actor{}, g.domain.ID, g.app.ID, models.ApplicationInput{
		Name: "Billing 2", Type: g.app.Type, Scopes: g.app.Scopes})
	if err != nil || a.Resources != api1+" "+api2 {
		t.Fatalf("after an edit without resources: %v %q", err, a.Resources)
	}
}

func TestNormalizeResources(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
		ok   bool
	}{
		{nil, "", true},
		{[]string{" https://a.example/x ", "https://a.example/x"}, "https://a.example/x", true},
		{[]string{"urn:x:y", "https://b.example"}, "https://b.example urn:x:y", true},
		{[]string{"https://a.example/#f"}, "", false},
		{[]string{"/relative"}, "", false},
		{[]string{"https://a.example/a b"}, "", false},
		{[]string{"https://a.example/" + strings.Repeat("x", 600)}, "", false},
	} {
		got, msg := models.NormalizeResources(tc.in)
		if (msg == "") != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("NormalizeResources(%q) = %q, %q", tc.in, got, msg)
		}
	}
	many := make([]string, models.MaxResources+1)
	for i := range many {
		many[i] = "urn:r:" + strings.Repeat("a", i+1)
	}
	if _, msg := models.NormalizeResources(many); msg == "" {
		t.Error("21 resources accepted")
	}
}

func TestAPIApplicationResources(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := e.api(e.apiToken(admin.Email, adminPassword))
	var d apiDomain
	api.post(apiPrefix+"/domains", map[string]any{"name": "Acme"}).want(http.StatusCreated).decode(&d)
	var a struct {
		ID       string
		Settings struct{ OAuth struct{ Resources []string } }
	}
	api.post(domainPath(d.ID)+"/applications", map[string]any{"name": "Billing",
		"settings": map[string]any{"oauth": map[string]any{"resources": []string{"urn:b", "https://a.example/api"}}}}).
		want(http.StatusCreated).decode(&a)
	if !slices.Equal(a.Settings.OAuth.Resources, []string{"https://a.example/api", "urn:b"}) {
		t.Fatalf("created resources = %v", a.Settings.OAuth.Resources)
	}
	appURL := appPathAPI(d.ID, a.ID)
	api.patch(appURL, map[string]any{"settings": map[string]any{"oauth": map[string]any{"resources": []string{"https://a.example/#x"}}}}).
		wantError(http.StatusBadRequest, "absolute URI without a fragment")
	api.patch(appURL, map[string]any{"name": "Billing 2"}).want(http.StatusOK).decode(&a)
	if len(a.Settings.OAuth.Resources) != 2 {
		t.Errorf("a rename changed the resources: %v", a.Settings.OAuth.Resources)
	}
	api.patch(appURL, map[string]any{"settings": map[string]any{"oauth": map[string]any{"resources": []string{}}}}).want(http.StatusOK).decode(&a)
	if a.Settings.OAuth.Resources == nil || len(a.Settings.OAuth.Resources) != 0 {
		t.Errorf("resources after clearing = %#v, want []", a.Settings.OAuth.Resources)
	}
}
