package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// /readyz is 200 on both listeners when the database answers and its
// schema is the binary's newest, and 503 with a JSON reason once the
// database is gone.
func TestReadyz(t *testing.T) {
	g := newGatewayEnv(t)
	for _, base := range []string{g.gw.URL, g.ts.URL} {
		resp, body := g.do(mustRequest(http.MethodGet, base+"/readyz"))
		var got struct {
			Status        string
			SchemaVersion int64
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 || got.Status != "ready" || got.SchemaVersion < 1 {
			t.Fatalf("%s/readyz: %d %s (%v)", base, resp.StatusCode, body, err)
		}
	}
	g.allowErrorLogs = true
	_ = g.store.Close()
	for _, base := range []string{g.gw.URL, g.ts.URL} {
		resp, body := g.do(mustRequest(http.MethodGet, base+"/readyz"))
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"reason":"database unreachable"`) {
			t.Fatalf("%s/readyz without a database: %d %s", base, resp.StatusCode, body)
		}
	}
}
