package web_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"latchkey/models"
)

// Tests of issue 17's Gravitee compatibility items, through the API only;
// every request and response is checked against the OpenAPI document.

// compatEnv is an env with an admin's API client, a domain and a service
// application (created through the API).
func compatEnv(t *testing.T) (*env, *apiClient, apiDomain, apiApp) {
	t.Helper()
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := e.api(e.apiToken(admin.Email, adminPassword))
	var d apiDomain
	api.post(apiPrefix+"/domains", map[string]any{"name": "Acme"}).want(http.StatusCreated).decode(&d)
	var a apiApp
	api.post(domainPath(d.ID)+"/applications", map[string]any{"name": "Billing"}).want(http.StatusCreated).decode(&a)
	return e, api, d, a
}

// TestAPISecretDuplicateBeforeLimit: with 10 of 10 secrets, Gravitee's
// test "test 0" again answers with the duplicate, and a new name with the
// limit (item 5).
func TestAPISecretDuplicateBeforeLimit(t *testing.T) {
	_, api, d, a := compatEnv(t)
	secrets := appPathAPI(d.ID, a.ID) + "/secrets"
	for i := range 9 {
		api.post(secrets, map[string]string{"name": fmt.Sprintf("test %d", i)}).want(http.StatusCreated)
	}
	e := api.post(secrets, map[string]string{"name": "test 0"}).wantError(http.StatusBadRequest, "")
	if e.Message != "Secret with description test 0 already exists" {
		t.Errorf("duplicate at the limit: %q", e.Message)
	}
	e = api.post(secrets, map[string]string{"name": "test 10"}).wantError(http.StatusBadRequest, "")
	if e.Message != "Too many Client Secrets. Cannot create more than 10 secrets" {
		t.Errorf("new name at the limit: %q", e.Message)
	}
}

// TestAPIUnknownSecretMessage: Gravitee's exact text for an unknown
// secret, on every route that names one (item 6).
func TestAPIUnknownSecretMessage(t *testing.T) {
	_, api, d, a := compatEnv(t)
	path := secretPathAPI(d.ID, a.ID, "x")
	for _, r := range []*apiResponse{api.del(path), api.post(path+"/_renew", nil)} {
		if e := r.wantError(http.StatusNotFound, ""); e.Message != "Secret [x] can not be found." {
			t.Errorf("%s: %q", r.req, e.Message)
		}
	}
}

// TestAPISettingsReadBackAsSent: Gravitee's expiryTimeSeconds 0 reads back
// as 0, enabled or not, and enabled with 0 is "never expires" for a domain
// as for an application (item 7).
func TestAPISettingsReadBackAsSent(t *testing.T) {
	e, api, d, a := compatEnv(t)
	dURL := domainPath(d.ID)
	for _, enabled := range []bool{false, true} {
		var got apiDomain
		api.patch(dURL, map[string]any{"secretSettings": map[string]any{"enabled": enabled, "expiryTimeSeconds": 0}}).
			want(http.StatusOK).decode(&got)
		s := got.SecretExpirationSettings
		if s.Enabled != enabled || s.ExpiryTimeSeconds == nil || *s.ExpiryTimeSeconds != 0 {
			t.Fatalf("enabled %v, 0 seconds: read back %+v", enabled, s)
		}
		// The same read again, and what was read sent back, agree.
		api.get(dURL).want(http.StatusOK).decode(&got)
		if s2 := got.SecretExpirationSettings; s2.ExpiryTimeSeconds == nil || *s2.ExpiryTimeSeconds != 0 || s2.Enabled != enabled {
			t.Fatalf("GET after PATCH: %+v", s2)
		}
		api.patch(dURL, map[string]any{"secretSettings": s}).want(http.StatusOK)
	}
	// Enabled with 0 seconds: a new secret never expires.
	var ns apiSecret
	api.post(appPathAPI(d.ID, a.ID)+"/secrets", map[string]string{"name": "ci"}).want(http.StatusCreated).decode(&ns)
	if ns.ExpiresAt != nil {
		t.Errorf("secret under enabled+0 expires at %d", *ns.ExpiresAt)
	}
	if p := e.domainByName("Acme").SecretPolicy(); p != (models.ExpiryPolicy{Enabled: true, Unit: models.UnitNone}) {
		t.Errorf("stored policy = %+v", p)
	}
	// The console's form says it as it means it for a domain: no policy.
	c := e.client()
	c.mustLogin("admin@example.com", adminPassword)
	form := c.get("/domains/" + d.ID + "/settings/client-secrets").wantStatus(http.StatusOK)
	if form.has("#f-enabled[checked]") {
		t.Error("the console shows enabled+0 as an enabled policy it cannot save")
	}
	// Negative seconds and an explicit NONE for a domain stay refused.
	api.patch(dURL, map[string]any{"secretSettings": map[string]any{"enabled": true, "expiryTimeSeconds": -1}}, invalidRequest()).
		wantError(http.StatusBadRequest, "must not be negative")
	api.patch(dURL, map[string]any{"secretSettings": map[string]any{"enabled": true, "expiryTimeUnit": "NONE"}}).
		wantError(http.StatusBadRequest, "must be one of")
}

// strongImported is a value that passes the imported-secret rule.
const strongImported = "Xq7-mR2vT9zLp4Wc8Ks1Bn6Yd3Hf5Jg0"

// TestAPIBringYourOwnCredentials: POST application takes clientId and
// clientSecret; the secret is the "Default" one, stored as a digest, never
// shown back, audited as imported, and authenticates at the gateway; weak
// values and taken ids are refused with the rule (item 8).
func TestAPIBringYourOwnCredentials(t *testing.T) {
	g := newGatewayEnv(t)
	admin := g.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := g.api(g.apiToken(admin.Email, adminPassword))
	apps := domainPath(g.domain.ID) + "/applications"

	var a struct {
		apiApp
		Secrets []map[string]any
	}
	r := api.post(apps, map[string]any{"name": "Migrated", "clientId": "legacy-billing", "clientSecret": strongImported}).want(http.StatusCreated)
	r.decode(&a)
	if a.Settings.OAuth.ClientID != "legacy-billing" || a.Settings.OAuth.ClientSecret != "" {
		t.Fatalf("created: clientId %q, clientSecret %q", a.Settings.OAuth.ClientID, a.Settings.OAuth.ClientSecret)
	}
	if strings.Contains(string(r.Body), strongImported) {
		t.Fatal("the imported value was shown back")
	}
	if len(a.Secrets) != 1 || a.Secrets[0]["name"] != models.DefaultSecretName || a.Secrets[0]["hint"] != strongImported[len(strongImported)-4:] {
		t.Fatalf("secrets = %v", a.Secrets)
	}
	stored := g.env.secret(a.ID, a.Secrets[0]["id"].(string))
	if stored.Digest != models.SecretDigest(strongImported) {
		t.Error("the imported value is not stored as its digest")
	}
	// The gateway accepts the brought credentials.
	if resp, body := g.token("legacy-billing", strongImported); resp.StatusCode != http.StatusOK {
		t.Fatalf("token with imported credentials: %d %s", resp.StatusCode, body)
	}
	// Audited as imported.
	if !hasAuditDetail(t, api, g.domain.ID, models.EventSecretCreated, models.ImportedDetail) {
		t.Error("no APPLICATION_CLIENT_SECRET_CREATED event with detail imported")
	}

	// A client id already used in the domain: Gravitee's message.
	e := api.post(apps, map[string]any{"name": "Again", "clientId": "legacy-billing"}).wantError(http.StatusBadRequest, "")
	if want := "A client [legacy-billing] already exists for domain [" + g.domain.ID + "]"; e.Message != want {
		t.Errorf("taken client id: %q, want %q", e.Message, want)
	}
	// In another domain: refused too, client ids are unique across Latchkey.
	var other apiDomain
	api.post(apiPrefix+"/domains", map[string]any{"name": "Other"}).want(http.StatusCreated).decode(&other)
	api.post(domainPath(other.ID)+"/applications", map[string]any{"name": "Again", "clientId": "legacy-billing"}).
		wantError(http.StatusBadRequest, "already exists in another domain")
	api.post(apps, map[string]any{"name": "Spaced", "clientId": "has space"}).wantError(http.StatusBadRequest, models.ClientIDRule)

	// Weak secrets: the rule, stated; nothing created.
	for name, weak := range map[string]string{
		"short":              "Ab1-Ab1-Ab1-Ab1",
		"one class":          "qwxzmnbvcrtyplkjhgfdsaeiouqwxzmnbv",
		"few characters":     "abababab12121212abababab12121212",
		"contains client id": "weak-id-Xq7mR2vT9zLp4Wc8Ks1Bn6Y",
		"weak word":          "Password-Xq7mR2vT9zLp4Wc8Ks1Bn6Yd",
		"a space":            "Xq7 mR2vT9zLp4Wc8Ks1Bn6Yd3Hf5Jg0aa",
	} {
		e := api.post(apps, map[string]any{"name": "Weak " + name, "clientId": "weak-id", "clientSecret": weak}).wantError(http.StatusBadRequest, "")
		if e.Message != models.ImportedSecretRule || e.Fields["clientSecret"] != models.ImportedSecretRule {
			t.Errorf("%s: %q %v", name, e.Message, e.Fields)
		}
	}
	for _, app := range g.apps(g.domain.ID) {
		if strings.HasPrefix(app.Name, "Weak") || app.Name == "Again" || app.Name == "Spaced" {
			t.Errorf("refused application %q was stored", app.Name)
		}
	}

	// POST .../secrets with a value: imported, never shown back.
	secrets := appPathAPI(g.domain.ID, a.ID) + "/secrets"
	second := "Zr4_Pk8sW2nQ6vLm0Tx9Cy3Ub7Ja5He1D"
	r = api.post(secrets, map[string]any{"name": "second", "secret": second}).want(http.StatusCreated)
	var ns map[string]any
	r.decode(&ns)
	if _, shown := ns["secret"]; shown || ns["name"] != "second" {
		t.Errorf("imported secret response = %v", ns)
	}
	if resp, body := g.token("legacy-billing", second); resp.StatusCode != http.StatusOK {
		t.Fatalf("token with the second imported secret: %d %s", resp.StatusCode, body)
	}
	e = api.post(secrets, map[string]any{"name": "weak", "secret": "short"}).wantError(http.StatusBadRequest, "")
	if e.Message != models.ImportedSecretRule {
		t.Errorf("weak imported secret: %q", e.Message)
	}
	api.post(secrets, map[string]any{"name": "reused", "secret": second}).wantError(http.StatusBadRequest, "already in use")
	// Without a value, a generated one, shown once as before.
	var gen apiSecret
	api.post(secrets, map[string]any{"name": "generated"}).want(http.StatusCreated).decode(&gen)
	if !models.LooksLikeSecret(gen.Secret) {
		t.Errorf("generated secret = %q", gen.Secret)
	}
}

// hasAuditDetail reports whether the domain's audit trail has an event of
// typ whose outcome message is detail.
func hasAuditDetail(t *testing.T, api *apiClient, domainID, typ, detail string) bool {
	t.Helper()
	var audits struct {
		Data []struct {
			Type    string
			Outcome struct{ Message string }
		}
	}
	api.get(domainPath(domainID) + "/audits?size=500").want(http.StatusOK).decode(&audits)
	for _, ev := range audits.Data {
		if ev.Type == typ && ev.Outcome.Message == detail {
			return true
		}
	}
	return false
}

// TestAPIApplicationCarriesSecrets: GET, list, PATCH and create show the
// application's secrets without values (item 9).
func TestAPIApplicationCarriesSecrets(t *testing.T) {
	_, api, d, a := compatEnv(t)
	appURL := appPathAPI(d.ID, a.ID)
	api.post(appURL+"/secrets", map[string]string{"name": "ci"}).want(http.StatusCreated)
	var listed []apiSecret
	api.get(appURL + "/secrets").want(http.StatusOK).decode(&listed)
	check := func(what string, body []byte, secrets []map[string]any) {
		t.Helper()
		if len(secrets) != len(listed) {
			t.Fatalf("%s: %d secrets, want %d", what, len(secrets), len(listed))
		}
		for i, s := range secrets {
			if _, has := s["secret"]; has || s["id"] != listed[i].ID || s["name"] != listed[i].Name {
				t.Errorf("%s: secret %d = %v, want %+v without a value", what, i, s, listed[i])
			}
		}
		if strings.Contains(string(body), "lks_") {
			t.Errorf("%s shows a value", what)
		}
	}
	var one struct{ Secrets []map[string]any }
	r := api.get(appURL).want(http.StatusOK)
	r.decode(&one)
	check("GET", r.Body, one.Secrets)
	var page struct {
		Data []struct {
			ID      string
			Secrets []map[string]any
		}
	}
	r = api.get(domainPath(d.ID) + "/applications").want(http.StatusOK)
	r.decode(&page)
	if len(page.Data) != 1 {
		t.Fatalf("list = %+v", page)
	}
	check("list", r.Body, page.Data[0].Secrets)
	r = api.patch(appURL, map[string]any{"description": "x"}).want(http.StatusOK)
	r.decode(&one)
	check("PATCH", r.Body, one.Secrets)
}

// TestAPIDomainDataPlaneAndHRID: POST domain takes dataPlaneId, stored and
// shown, "default" when absent; GET .../domains/_hrid/{hrid} finds a domain
// by hrid only (items 10, 11).
func TestAPIDomainDataPlaneAndHRID(t *testing.T) {
	_, api, d, _ := compatEnv(t)
	var raw map[string]any
	api.get(domainPath(d.ID)).want(http.StatusOK).decode(&raw)
	if raw["dataPlaneId"] != "default" {
		t.Errorf("default data plane = %v", raw["dataPlaneId"])
	}
	api.post(apiPrefix+"/domains", map[string]any{"name": "Edge", "dataPlaneId": "eu-west.1"}).want(http.StatusCreated).decode(&raw)
	if raw["dataPlaneId"] != "eu-west.1" {
		t.Errorf("given data plane = %v", raw["dataPlaneId"])
	}
	e := api.post(apiPrefix+"/domains", map[string]any{"name": "Bad plane", "dataPlaneId": "no spaces"}).wantError(http.StatusBadRequest, "data plane id")
	if e.Fields["dataPlaneId"] == "" {
		t.Errorf("fields = %v", e.Fields)
	}
	var byHRID apiDomain
	api.get(apiPrefix + "/domains/_hrid/edge").want(http.StatusOK).decode(&byHRID)
	if byHRID.Name != "Edge" {
		t.Errorf("_hrid/edge = %+v", byHRID)
	}
	// An id is not an hrid.
	api.get(apiPrefix+"/domains/_hrid/"+d.ID).wantError(http.StatusNotFound, "Domain ["+d.ID+"] can not be found.")
}

// TestAPIRedirectURIs: POST application takes redirectUris, validated as
// absolute URLs, stored, shown by the API and on the application's page
// (item 11).
func TestAPIRedirectURIs(t *testing.T) {
	e, api, d, _ := compatEnv(t)
	apps := domainPath(d.ID) + "/applications"
	var a apiAppOAuth
	api.post(apps, map[string]any{"name": "Portal", "type": "WEB",
		"redirectUris": []string{"https://portal.example.com/callback", "http://localhost:8080/cb", "https://portal.example.com/callback"}}).
		want(http.StatusCreated).decode(&a)
	want := []string{"https://portal.example.com/callback", "http://localhost:8080/cb"}
	if !slices.Equal(a.Settings.OAuth.RedirectURIs, want) {
		t.Fatalf("redirectUris = %v, want %v", a.Settings.OAuth.RedirectURIs, want)
	}
	for _, bad := range []string{"portal.example.com/cb", "/callback", "https://portal.example.com/cb#frag", "https:///nohost"} {
		fe := api.post(apps, map[string]any{"name": "Bad " + bad, "redirectUris": []string{bad}}).wantError(http.StatusBadRequest, "Redirect URI")
		if fe.Fields["redirectUris"] == "" {
			t.Errorf("%s: fields = %v", bad, fe.Fields)
		}
	}
	if n := len(e.apps(d.ID)); n != 2 {
		t.Errorf("%d applications, want 2 (refused ones stored?)", n)
	}
	// PATCH replaces them; an empty list clears them.
	appURL := appPathAPI(d.ID, a.ID)
	api.patch(appURL, map[string]any{"settings": map[string]any{"oauth": map[string]any{"redirectUris": []string{"https://new.example.com/cb"}}}}).
		want(http.StatusOK).decode(&a)
	if !slices.Equal(a.Settings.OAuth.RedirectURIs, []string{"https://new.example.com/cb"}) {
		t.Errorf("after PATCH: %v", a.Settings.OAuth.RedirectURIs)
	}
	// Shown on the console's application page.
	c := e.client()
	c.mustLogin("admin@example.com", adminPassword)
	page := c.get("/domains/" + d.ID + "/applications/" + a.ID).wantStatus(http.StatusOK)
	if got := page.text("#app-redirect-uris"); !strings.Contains(got, "https://new.example.com/cb") {
		t.Errorf("application page redirect URIs = %q", got)
	}
	api.patch(appURL, map[string]any{"settings": map[string]any{"oauth": map[string]any{"redirectUris": []string{}}}}).
		want(http.StatusOK).decode(&a)
	if len(a.Settings.OAuth.RedirectURIs) != 0 {
		t.Errorf("after clearing: %v", a.Settings.OAuth.RedirectURIs)
	}
}

// apiAppOAuth is an application with the OAuth settings of issue 17.
type apiAppOAuth struct {
	ID, Name, Description, Type string
	Enabled                     bool
	Settings                    struct {
		OAuth struct {
			ClientID     string   `json:"clientId"`
			Scopes       []string `json:"scopes"`
			GrantTypes   []string `json:"grantTypes"`
			RedirectURIs []string `json:"redirectUris"`
		} `json:"oauth"`
		SecretExpirationSettings apiExpiry
	}
}

// TestAPIGrantTypesAndFullUpdate: grant types decide who may use
// client_credentials (SERVICE by default, WEB when given it); PUT is a full
// update and PUT .../type changes the type with its default grants
// (item 10).
func TestAPIGrantTypesAndFullUpdate(t *testing.T) {
	g := newGatewayEnv(t)
	admin := g.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := g.api(g.apiToken(admin.Email, adminPassword))
	apps := domainPath(g.domain.ID) + "/applications"

	var svc, web apiAppOAuth
	var svcCreated, webCreated apiApp
	api.post(apps, map[string]any{"name": "Svc"}).want(http.StatusCreated).decode(&svcCreated)
	api.post(apps, map[string]any{"name": "Portal", "type": "WEB"}).want(http.StatusCreated).decode(&webCreated)
	api.get(appPathAPI(g.domain.ID, svcCreated.ID)).want(http.StatusOK).decode(&svc)
	api.get(appPathAPI(g.domain.ID, webCreated.ID)).want(http.StatusOK).decode(&web)
	if !slices.Equal(svc.Settings.OAuth.GrantTypes, []string{"client_credentials"}) || len(web.Settings.OAuth.GrantTypes) != 0 {
		t.Fatalf("default grant types: service %v, web %v", svc.Settings.OAuth.GrantTypes, web.Settings.OAuth.GrantTypes)
	}
	webToken := func() (int, string) {
		resp, body := g.token(web.Settings.OAuth.ClientID, webCreated.Settings.OAuth.ClientSecret)
		return resp.StatusCode, body
	}
	if st, body := webToken(); st != http.StatusBadRequest || !strings.Contains(body, "unauthorized_client") {
		t.Fatalf("web without the grant: %d %s", st, body)
	}
	webURL := appPathAPI(g.domain.ID, web.ID)
	api.patch(webURL, map[string]any{"settings": map[string]any{"oauth": map[string]any{"grantTypes": []string{"client_credentials"}}}}).
		want(http.StatusOK).decode(&web)
	if st, body := webToken(); st != http.StatusOK {
		t.Fatalf("web granted client_credentials: %d %s", st, body)
	}
	// A grant the token endpoint does not offer is refused.
	api.patch(webURL, map[string]any{"settings": map[string]any{"oauth": map[string]any{"grantTypes": []string{"password"}}}}, invalidRequest()).
		wantError(http.StatusBadRequest, "supports only client_credentials")

	// PUT: a full update; what is absent takes its default.
	api.patch(webURL, map[string]any{"description": "old", "enabled": false, "settings": map[string]any{
		"oauth":                    map[string]any{"scopes": []string{"read"}, "redirectUris": []string{"https://p.example.com/cb"}},
		"secretExpirationSettings": map[string]any{"enabled": true, "expiryTimeUnit": "DAYS", "expiryTimeDuration": 5}}}).want(http.StatusOK)
	var put apiAppOAuth
	api.do(http.MethodPut, webURL, map[string]any{"name": "Portal 2", "settings": map[string]any{"oauth": map[string]any{"scopes": []string{"write"}}}}).
		want(http.StatusOK).decode(&put)
	o := put.Settings.OAuth
	if put.Name != "Portal 2" || put.Description != "" || !put.Enabled || !slices.Equal(o.Scopes, []string{"write"}) ||
		len(o.RedirectURIs) != 0 || len(o.GrantTypes) != 0 || put.Settings.SecretExpirationSettings.Enabled || put.Type != "WEB" {
		t.Errorf("after PUT: %+v", put)
	}
	api.do(http.MethodPut, webURL, map[string]any{"description": "no name"}, invalidRequest()).wantError(http.StatusBadRequest, "Name is required")

	// PUT .../type: the new type's grants.
	api.do(http.MethodPut, webURL+"/type", map[string]any{"type": "SERVICE"}).want(http.StatusOK).decode(&put)
	if put.Type != "SERVICE" || !slices.Equal(put.Settings.OAuth.GrantTypes, []string{"client_credentials"}) {
		t.Errorf("after PUT type SERVICE: %+v", put)
	}
	api.do(http.MethodPut, webURL+"/type", map[string]any{"type": "MACHINE"}, invalidRequest()).wantError(http.StatusBadRequest, "type must be SERVICE or WEB")
	api.do(http.MethodPut, appPathAPI(g.domain.ID, "nope")+"/type", map[string]any{"type": "WEB"}).wantError(http.StatusNotFound, "Application [nope] can not be found.")
}
