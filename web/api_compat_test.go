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
