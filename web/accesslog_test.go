package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"latchkey/config"
)

// With log.access, a token request logs one line with the route pattern,
// status and client id, and neither the secret nor the token; the request
// id is echoed (a sane incoming one kept, a forged one replaced).
func TestAccessLogTokenRequest(t *testing.T) {
	g := newGatewayEnv(t, func(c *config.Config) { c.Log.Access = true })
	req, _ := http.NewRequest(http.MethodPost, g.tokenURL()+"?client_secret="+url.QueryEscape(g.secret),
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "client_id": {g.app.ClientID}, "client_secret": {g.secret}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-Id", "req-1234")
	resp, body := g.do(req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal([]byte(body), &tok)
	if got := resp.Header.Get("X-Request-Id"); got != "req-1234" {
		t.Errorf("X-Request-Id = %q, want the incoming req-1234", got)
	}
	logs := g.logs.String()
	var line string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "msg=access") && strings.Contains(l, "route=/:hrid/oauth/token") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("no access line for the token request:\n%s", logs)
	}
	for _, want := range []string{"method=POST", "status=" + itoa(resp.StatusCode), "client_id=" + g.app.ClientID, "request_id=req-1234", "duration_ms="} {
		if !strings.Contains(line, want) {
			t.Errorf("access line lacks %s: %s", want, line)
		}
	}
	if strings.Contains(logs, g.secret) || (tok.AccessToken != "" && strings.Contains(logs, tok.AccessToken)) || strings.Contains(line, "acme") {
		t.Errorf("the log holds the secret, the token or the path's values:\n%s", logs)
	}

	req, _ = http.NewRequest(http.MethodGet, g.gw.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "bad\tid level=ERROR")
	resp, _ = g.do(req)
	// A generated id is 32 hex digits (which may spell "bad" by chance).
	if got := resp.Header.Get("X-Request-Id"); !generatedRequestID.MatchString(got) {
		t.Errorf("forged X-Request-Id came back as %q, want a generated one", got)
	}
}

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
