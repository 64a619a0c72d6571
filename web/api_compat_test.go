package web_test

import (
	"fmt"
	"net/http"
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
