package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"latchkey/models"
)

// answer is one response of a burst of parallel requests.
type answer struct {
	status int
	body   string
}

// burst sends n requests at once (each built by mk, on its own goroutine)
// and returns their answers.
func burst(t *testing.T, hc *http.Client, n int, mk func() *http.Request) []answer {
	t.Helper()
	out := make([]answer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		req := mk()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := hc.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			out[i] = answer{resp.StatusCode, string(b)}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Eight renews posted at once from the same confirmation dialog: exactly
// one renews (200, with a value that works at the gateway), the other seven
// get 409 and change nothing. A renew confirmed after that one finished is
// a fresh renew and succeeds.
func TestConcurrentRenewsFromTheConsoleOneWins(t *testing.T) {
	g := newGatewayEnv(t)
	c, _ := g.admin()
	secrets, err := g.store.Secrets(g.ctx, g.app.ID)
	if err != nil || len(secrets) != 1 {
		t.Fatal(secrets, err)
	}
	renew := "/domains/" + g.domain.ID + "/applications/" + g.app.ID + "/secrets/" + secrets[0].ID + "/renew"
	confirm := c.get(renew).wantStatus(http.StatusOK)
	version := confirm.attr(`#dialog input[name=version]`, "value")
	if version == "" {
		t.Fatal("the renew dialog does not carry the version it shows")
	}
	form := url.Values{"_csrf": {confirm.csrf()}, "version": {version}}
	answers := burst(t, c.hc, 8, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, c.url(renew), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	})
	var won []string
	for _, a := range answers {
		switch a.status {
		case http.StatusOK:
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(a.body))
			if err != nil {
				t.Fatal(err)
			}
			v, _ := doc.Find("#dialog #secret-value").Attr("value")
			won = append(won, v)
		case http.StatusConflict:
			if !strings.Contains(a.body, "Someone renewed this secret while you were confirming") {
				t.Errorf("409 without its message:\n%s", a.body)
			}
		default:
			t.Errorf("status %d:\n%s", a.status, a.body)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d of 8 parallel renews succeeded, want exactly 1", len(won))
	}
	if resp, body := g.token(g.app.ClientID, won[0]); resp.StatusCode != http.StatusOK {
		t.Fatalf("the winning renew's value does not work: %d %s", resp.StatusCode, body)
	}
	if resp, _ := g.token(g.app.ClientID, g.secret); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the old value still works: %d", resp.StatusCode)
	}
	if evs := g.auditEvents("", models.EventSecretRenewed); len(evs) != 1 {
		t.Fatalf("%d renew events, want 1", len(evs))
	}

	// The 409's dialog offers the current version: renewing again works.
	again := c.get(renew).wantStatus(http.StatusOK)
	if v := again.attr(`#dialog input[name=version]`, "value"); v == version {
		t.Fatal("the dialog still shows the replaced version")
	}
	r := c.postRaw(renew, url.Values{"_csrf": {again.csrf()}, "version": {again.attr(`#dialog input[name=version]`, "value")}})
	r.wantStatus(http.StatusOK)
	// A form that carries no version renews what is there on arrival.
	c.postRaw(renew, url.Values{"_csrf": {again.csrf()}}).wantStatus(http.StatusOK)
}

// The Management API: eight renews at once with the same If-Match give one
// 200 and seven 409; without If-Match a renew replaces the version it read
// on arrival, so one sent after another finished succeeds.
func TestConcurrentRenewsThroughTheAPIOneWins(t *testing.T) {
	g := newGatewayEnv(t)
	admin := g.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	token := g.personalToken(admin.ID, "automation", false).Value
	secrets, err := g.store.Secrets(g.ctx, g.app.ID)
	if err != nil || len(secrets) != 1 {
		t.Fatal(secrets, err)
	}
	renew := g.ts.URL + secretPathAPI(g.domain.HRID, g.app.ID, secrets[0].ID) + "/_renew"
	etag := `"` + secrets[0].Version() + `"`
	answers := burst(t, http.DefaultClient, 8, func() *http.Request {
		req, _ := http.NewRequest(http.MethodPost, renew, bytes.NewReader(nil))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("If-Match", etag)
		return req
	})
	var won []string
	for _, a := range answers {
		switch a.status {
		case http.StatusOK:
			var out struct{ Secret string }
			if err := json.Unmarshal([]byte(a.body), &out); err != nil {
				t.Fatal(err)
			}
			won = append(won, out.Secret)
		case http.StatusConflict:
			var out struct {
				Message    string `json:"message"`
				HTTPStatus int    `json:"http_status"`
			}
			if err := json.Unmarshal([]byte(a.body), &out); err != nil || out.HTTPStatus != 409 || !strings.Contains(out.Message, "renewed by another request meanwhile") {
				t.Errorf("409 body = %s", a.body)
			}
		default:
			t.Errorf("status %d: %s", a.status, a.body)
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d of 8 parallel renews succeeded, want exactly 1", len(won))
	}
	if resp, body := g.token(g.app.ClientID, won[0]); resp.StatusCode != http.StatusOK {
		t.Fatalf("the winning renew's value does not work: %d %s", resp.StatusCode, body)
	}

	// Sequential renews without If-Match each start from what is there.
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodPost, renew, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, body := g.do(req)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
			t.Fatalf("renew %d without If-Match: %d %s (ETag %q)", i, resp.StatusCode, body, resp.Header.Get("ETag"))
		}
	}
	// A stale If-Match is refused and changes nothing.
	before, _ := g.store.SecretByID(g.ctx, g.app.ID, secrets[0].ID)
	req, _ := http.NewRequest(http.MethodPost, renew, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("If-Match", etag)
	if resp, body := g.do(req); resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale If-Match: %d %s", resp.StatusCode, body)
	}
	if after, _ := g.store.SecretByID(g.ctx, g.app.ID, secrets[0].ID); after.Digest != before.Digest {
		t.Fatal("a refused renew changed the secret")
	}
}

// Parallel PATCHes of different fields of one application all stay: each
// applies its field to the row as it is when it runs, not to a copy read
// earlier; and a secret policy saved meanwhile is not put back.
func TestConcurrentApplicationPatchesKeepEachOther(t *testing.T) {
	g := newGatewayEnv(t)
	admin := g.createUser("admin@example.com", "Ada Admin", adminPassword, models.RoleAdmin)
	token := g.personalToken(admin.ID, "automation", false).Value
	path := g.ts.URL + appPathAPI(g.domain.HRID, g.app.ID)
	for round := 0; round < 5; round++ {
		bodies := []string{
			fmt.Sprintf(`{"name":"Billing %d"}`, round),
			fmt.Sprintf(`{"description":"round %d"}`, round),
			fmt.Sprintf(`{"settings":{"oauth":{"scopes":["r%d"]}}}`, round),
			fmt.Sprintf(`{"settings":{"secretExpirationSettings":{"enabled":true,"expiryTimeUnit":"DAYS","expiryTimeDuration":%d}}}`, round+1),
		}
		i := 0
		var mu sync.Mutex
		answers := burst(t, http.DefaultClient, len(bodies), func() *http.Request {
			mu.Lock()
			defer mu.Unlock()
			req, _ := http.NewRequest(http.MethodPatch, path, strings.NewReader(bodies[i]))
			i++
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			return req
		})
		for _, a := range answers {
			if a.status != http.StatusOK {
				t.Fatalf("PATCH: %d %s", a.status, a.body)
			}
		}
		got, err := g.store.ApplicationByID(g.ctx, g.domain.ID, g.app.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := models.ExpiryPolicy{Enabled: true, Unit: "DAYS", Duration: round + 1}
		if got.Name != fmt.Sprintf("Billing %d", round) || got.Description != fmt.Sprintf("round %d", round) ||
			got.Scopes != fmt.Sprintf("r%d", round) || got.SecretPolicy() != want {
			t.Fatalf("round %d: a concurrent change was lost: name %q, description %q, scopes %q, policy %+v",
				round, got.Name, got.Description, got.Scopes, got.SecretPolicy())
		}
	}
}
