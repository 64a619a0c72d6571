package web_test

import (
	"net/http"
	"testing"
	"time"

	"latchkey/models"
)

func TestAPISecretChosenExpiry(t *testing.T) {
	e := newEnv(t)
	admin := e.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	api := e.api(e.apiToken(admin.Email, adminPassword))
	var d apiDomain
	api.post(apiPrefix+"/domains", map[string]any{"name": "Acme"}).want(http.StatusCreated).decode(&d)
	var a apiApp
	api.post(domainPath(d.ID)+"/applications", map[string]any{"name": "Billing"}).want(http.StatusCreated).decode(&a)
	secretsURL := appPathAPI(d.ID, a.ID) + "/secrets"
	day := int64(24 * 3600 * 1000)
	near := func(got *int64, want int64) bool { return got != nil && *got >= want-5000 && *got <= want+5000 }

	// No policy: any preset, a date, or never.
	var s apiSecret
	api.post(secretsURL, map[string]any{"name": "two years", "expiryTimeSeconds": 730 * 24 * 3600}).want(http.StatusCreated).decode(&s)
	if !near(s.ExpiresAt, time.Now().UnixMilli()+730*day) {
		t.Errorf("730 days: expiresAt = %v", s.ExpiresAt)
	}
	at := time.Now().Add(40 * 24 * time.Hour).UnixMilli()
	api.post(secretsURL, map[string]any{"name": "dated", "expiresAt": at}).want(http.StatusCreated).decode(&s)
	if s.ExpiresAt == nil || *s.ExpiresAt != at {
		t.Errorf("dated: expiresAt = %v, want %d", s.ExpiresAt, at)
	}
	api.post(secretsURL, map[string]any{"name": "never", "expiryTimeSeconds": 0}).want(http.StatusCreated).decode(&s)
	if s.ExpiresAt != nil {
		t.Errorf("never: expiresAt = %v", *s.ExpiresAt)
	}
	api.post(secretsURL, map[string]any{"name": "past", "expiresAt": time.Now().Add(-time.Hour).UnixMilli()}).
		wantError(http.StatusBadRequest, "must be in the future")
	api.post(secretsURL, map[string]any{"name": "both", "expiresAt": at, "expiryTimeSeconds": 60}).
		wantError(http.StatusBadRequest, "not both")

	// A one-year policy: the default and the maximum.
	api.patch(domainPath(d.ID), map[string]any{"secretSettings": map[string]any{"enabled": true, "expiryTimeUnit": "YEARS", "expiryTimeDuration": 1}}).want(http.StatusOK)
	api.post(secretsURL, map[string]any{"name": "by policy"}).want(http.StatusCreated).decode(&s)
	year := time.Now().AddDate(1, 0, 0).UnixMilli()
	if !near(s.ExpiresAt, year) {
		t.Errorf("policy default: expiresAt = %v, want about %d", s.ExpiresAt, year)
	}
	api.post(secretsURL, map[string]any{"name": "short", "expiryTimeSeconds": 90 * 24 * 3600}).want(http.StatusCreated).decode(&s)
	if !near(s.ExpiresAt, time.Now().UnixMilli()+90*day) {
		t.Errorf("90 days under the policy: expiresAt = %v", s.ExpiresAt)
	}
	api.post(secretsURL, map[string]any{"name": "long", "expiryTimeSeconds": 545 * 24 * 3600}).
		wantError(http.StatusBadRequest, "the longest the policy allows")
	api.post(secretsURL, map[string]any{"name": "long", "expiresAt": time.Now().AddDate(2, 0, 0).UnixMilli()}).
		wantError(http.StatusBadRequest, "the longest the policy allows")
	api.post(secretsURL, map[string]any{"name": "forever", "expiryTimeSeconds": 0}).
		wantError(http.StatusBadRequest, "The policy requires an expiry")

	// Renew takes the same choice within the same bound; without a body,
	// the policy's expiry.
	renew := secretsURL + "/" + s.ID + "/_renew"
	api.post(renew, map[string]any{"expiryTimeSeconds": 730 * 24 * 3600}).wantError(http.StatusBadRequest, "the longest the policy allows")
	api.post(renew, map[string]any{"expiryTimeSeconds": 30 * 24 * 3600}).want(http.StatusOK).decode(&s)
	if !near(s.ExpiresAt, time.Now().UnixMilli()+30*day) {
		t.Errorf("renewed for 30 days: expiresAt = %v", s.ExpiresAt)
	}
	api.post(renew, nil).want(http.StatusOK).decode(&s)
	if !near(s.ExpiresAt, time.Now().AddDate(1, 0, 0).UnixMilli()) {
		t.Errorf("renewed without a body: expiresAt = %v", s.ExpiresAt)
	}
}
