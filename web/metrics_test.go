package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"latchkey/config"
)

const metricsToken = "scrape-token-0123456789"

// getMetrics fetches base+"/metrics" with an optional Authorization header
// and, when c is not nil, c's session cookies.
func getMetrics(t *testing.T, c *client, base, authorization string) (int, http.Header, string) {
	t.Helper()
	req := mustRequest(http.MethodGet, base+"/metrics")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	hc := http.DefaultClient
	if c != nil {
		hc = c.hc
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// The console's /metrics names every domain: only an administrator's
// session or the configured bearer token reads it.
func TestMetricsAccess(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Metrics.BearerToken = metricsToken })
	admin, _ := g.admin()
	viewer, _ := g.viewer()
	for _, tc := range []struct {
		name          string
		c             *client
		authorization string
		want          int
	}{
		{"anonymous", nil, "", http.StatusUnauthorized},
		{"viewer", viewer, "", http.StatusForbidden},
		{"wrong token", nil, "Bearer " + metricsToken + "x", http.StatusUnauthorized},
		{"token prefix", nil, "Bearer " + metricsToken[:16], http.StatusUnauthorized},
		{"basic scheme", nil, "Basic " + metricsToken, http.StatusUnauthorized},
		{"wrong token with an administrator's session", admin, "Bearer nope", http.StatusUnauthorized},
		{"token", nil, "Bearer " + metricsToken, http.StatusOK},
		{"token, lower-case scheme", nil, "bearer " + metricsToken, http.StatusOK},
		{"administrator", admin, "", http.StatusOK},
	} {
		status, h, body := getMetrics(t, tc.c, g.ts.URL, tc.authorization)
		if status != tc.want {
			t.Errorf("%s: /metrics = %d, want %d", tc.name, status, tc.want)
		}
		if leaked := strings.Contains(body, `domain="acme"`); leaked != (tc.want == http.StatusOK) {
			t.Errorf("%s: body names the domain: %v", tc.name, leaked)
		}
		if tc.want == http.StatusUnauthorized && !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, h.Get("WWW-Authenticate"))
		}
	}

	// Without a configured token no bearer value opens it, not even an
	// empty one.
	plain := newGatewayEnv(t)
	for _, auth := range []string{"Bearer ", "Bearer x", "Bearer " + metricsToken} {
		if status, _, _ := getMetrics(t, nil, plain.ts.URL, auth); status != http.StatusUnauthorized {
			t.Errorf("no token configured, %q: /metrics = %d", auth, status)
		}
	}
	plainAdmin, _ := plain.admin()
	if status, _, _ := getMetrics(t, plainAdmin, plain.ts.URL, ""); status != http.StatusOK {
		t.Errorf("no token configured, administrator: /metrics = %d", status)
	}

	// metrics.enabled=false: nowhere.
	off := newGatewayEnv(t, func(c *config.Config) { c.Metrics.Enabled = false })
	offAdmin, _ := off.admin()
	if status, _, _ := getMetrics(t, offAdmin, off.ts.URL, ""); status != http.StatusNotFound {
		t.Errorf("metrics disabled: console /metrics = %d", status)
	}
	if off.srv.MetricsOnly != nil {
		t.Error("metrics disabled: a metrics listener handler exists")
	}
}

// metrics.addr serves /metrics on its own listener: unauthenticated, or
// behind the bearer token when one is configured.
func TestMetricsOwnListener(t *testing.T) {
	open := newGatewayEnv(t, func(c *config.Config) { c.Metrics.Addr = "127.0.0.1:0" })
	ts := httptest.NewServer(open.srv.MetricsOnly)
	t.Cleanup(ts.Close)
	status, _, body := getMetrics(t, nil, ts.URL, "")
	if status != http.StatusOK || !strings.Contains(body, `latchkey_client_secrets{domain="acme",status="active"} 1`) {
		t.Fatalf("metrics.addr /metrics = %d\n%s", status, body)
	}

	guarded := newGatewayEnv(t, func(c *config.Config) {
		c.Metrics.Addr = "127.0.0.1:0"
		c.Metrics.BearerToken = metricsToken
	})
	ts = httptest.NewServer(guarded.srv.MetricsOnly)
	t.Cleanup(ts.Close)
	if status, h, body := getMetrics(t, nil, ts.URL, ""); status != http.StatusUnauthorized ||
		h.Get("WWW-Authenticate") == "" || strings.Contains(body, "acme") {
		t.Errorf("metrics.addr with a token, none sent: %d %v", status, h)
	}
	if status, _, _ := getMetrics(t, nil, ts.URL, "Bearer wrong-token-0123456789"); status != http.StatusUnauthorized {
		t.Errorf("metrics.addr with a token, wrong one sent: %d", status)
	}
	if status, _, body := getMetrics(t, nil, ts.URL, "Bearer "+metricsToken); status != http.StatusOK || !strings.Contains(body, `domain="acme"`) {
		t.Errorf("metrics.addr with the token: %d", status)
	}
}
