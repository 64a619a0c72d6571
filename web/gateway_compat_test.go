package web_test

import (
	"encoding/json"
	"testing"

	"latchkey/models"
)

// TestGatewayNoEmptyScope: a client with no allowed scopes gets neither a
// scope member in the token response nor a scope claim, since "" is not
// valid scope syntax (RFC 6749 §3.3, Appendix A.4); a client with scopes
// still gets both.
func TestGatewayNoEmptyScope(t *testing.T) {
	g := newGatewayEnv(t)
	bare, first, err := g.store.CreateApplication(g.ctx, models.Actor{}, g.domain.ID, models.ApplicationInput{Name: "Bare", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		app           *models.Application
		secret, scope string
	}{{bare, first.Value, ""}, {g.app, g.secret, "invoices:read invoices:write"}} {
		g.app = tc.app // verify expects this client as subject
		resp, body := g.token(tc.app.ClientID, tc.secret)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		scope, present := r["scope"]
		claims := g.verify(r["access_token"].(string))
		claim, claimPresent := claims["scope"]
		if tc.scope == "" {
			if present || claimPresent {
				t.Fatalf("empty grant: response scope %v (present %v), claim %v (present %v)", scope, present, claim, claimPresent)
			}
			continue
		}
		if scope != tc.scope || claim != tc.scope {
			t.Fatalf("response scope %v, claim %v; want %q", scope, claim, tc.scope)
		}
	}
}
