package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"latchkey/config"
	"latchkey/models"
)

// Introspection on a disabled domain goes through the failure throttle
// like every other client authentication: wrong secrets from one address
// are refused after MaxAttempts (even the right one then waits), and the
// failures are summarised in the audit log; right secrets are never
// counted as failures.
func TestIntrospectionOnDisabledDomainThrottled(t *testing.T) {
	const max = 3
	g := newGatewayEnv(t, func(c *config.Config) { c.Security.Token.MaxAttempts = max })
	tok := g.accessToken(g.app.ClientID, g.secret)
	if _, err := g.store.UpdateDomain(g.ctx, models.Actor{}, g.domain.ID, models.DomainInput{Name: "Acme", HRID: "acme", Enabled: false}); err != nil {
		t.Fatal(err)
	}
	introspect := func(secret string) (*http.Response, string) {
		return g.post("/acme/oauth/introspect", url.Values{"token": {tok}}, g.app.ClientID, secret)
	}
	// The right secret, more often than the throttle would allow failures.
	for i := 0; i < 2*max; i++ {
		resp, body := introspect(g.secret)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != `{"active":false}` {
			t.Fatalf("right secret on a disabled domain, request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	wrong := models.SecretPrefix + strings.Repeat("x", 49) // plausible in shape
	for i := 0; i < max; i++ {
		resp, body := introspect(wrong)
		g.wantInvalidClient(resp, body, true)
	}
	for _, secret := range []string{wrong, g.secret} {
		resp, body := introspect(secret)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "invalid_client") {
			t.Fatalf("after %d failures: %d %v %s", max, resp.StatusCode, resp.Header, body)
		}
	}
	g.wantOneFailureSummary("3 failed client authentications, 2 refused")
}
