package web_test

import (
	"fmt"
	"net/http"
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
