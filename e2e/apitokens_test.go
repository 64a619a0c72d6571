package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// TestAPITokenFlow creates a Management API token on the Account page in a
// real browser: the value is shown once in a modal dialog whose OK stays
// disabled until it is copied, the table then shows only its hint, the token
// works against the API, and revoking it (confirmed in an htmx dialog) makes
// the API refuse it. Every step must run without a CSP violation or a
// script error.
func TestAPITokenFlow(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	admin := signIn(t, srv, ctx)

	load(t, ctx, "open the Account page", http.StatusOK, `/account`, chromedp.Navigate(srv.URL("/account")))
	requireScriptsLoaded(t, ctx, "account")
	requireContains(t, ctx, "the empty token list", "#api-tokens", "You have no API tokens.")
	do(t, ctx, "name the token", chromedp.SendKeys(chromedp.CSS("#f-name"), "ci-rotation"))
	load(t, ctx, "create the token", http.StatusOK, `/account/tokens`, chromedp.Click(chromedp.CSS("#create-token")))
	requireModalDialog(t, ctx, "the reveal dialog", "API token created")
	requireContains(t, ctx, "the one-time warning", "dialog#dialog", "It will not be shown again")
	value := run(t, ctx, "read the token", chromedp.Value(chromedp.CSS("#token-value")))
	if !models.LooksLikeAPIToken(value) {
		t.Fatalf("revealed %q, not an API token", value)
	}
	if !isDisabled(t, ctx, "#token-ok") {
		t.Fatal("OK is enabled before the token was copied or stored")
	}
	writeClipboard(t, ctx, "stale clipboard")
	do(t, ctx, "copy the token", chromedp.Click(chromedp.CSS("#copy-token")))
	do(t, ctx, "wait for OK to be enabled", chromedp.WaitEnabled(chromedp.CSS("#token-ok")))
	if got := readClipboard(t, ctx); got != value {
		t.Fatalf("clipboard holds %q, want the token", got)
	}
	requireNoPageErrors(t, ctx, "copy the token")
	saveScreenshot(t, ctx, "apitokens-01-reveal")

	load(t, ctx, "close the dialog with OK", http.StatusOK, `/account`, chromedp.Click(chromedp.CSS("#token-ok")))
	requireAbsent(t, ctx, "the value after OK", "#token-value")
	toks, err := srv.Store.APITokens(t.Context(), admin.ID)
	if err != nil || len(toks) != 1 {
		t.Fatalf("stored tokens = %v, %v", toks, err)
	}
	row := `#token-table tr[data-token-id="` + toks[0].ID + `"]`
	requireText(t, ctx, "the token's hint", row+" .token-hint", "…"+value[len(value)-4:])
	requireText(t, ctx, "the token's status", row+" .token-status", "Active")
	html := run(t, ctx, "read the page", chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if strings.Contains(html, value) {
		t.Fatal("the Account page still holds the token value")
	}

	callAPI := func() int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL("/management/organizations/DEFAULT/environments/DEFAULT/domains"), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+value)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := callAPI(); got != http.StatusOK {
		t.Fatalf("the new token gets %d from the API", got)
	}

	// Revoke it through the htmx confirmation dialog.
	do(t, ctx, "click Revoke", chromedp.Click(chromedp.CSS(row+" [data-action=revoke]")))
	requireModalDialog(t, ctx, "the revoke dialog", "Revoke “ci-rotation”?")
	load(t, ctx, "confirm", http.StatusOK, `/account`, chromedp.Click(chromedp.CSS("#confirm-revoke")))
	requireContains(t, ctx, "the flash", "[role=status]", "“ci-rotation” revoked")
	requireText(t, ctx, "the token's status after revoking", row+" .token-status", "Revoked")
	requireNoPageErrors(t, ctx, "revoke the token")
	saveScreenshot(t, ctx, "apitokens-02-revoked")
	if got := callAPI(); got != http.StatusUnauthorized {
		t.Fatalf("the revoked token gets %d from the API, want 401", got)
	}
}
