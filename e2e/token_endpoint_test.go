package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestTokenEndpointShownInFull (issue 18, item 11): the application's
// Overview shows the token endpoint as the full gateway URL clients use
// (server.gatewayURL, then /{hrid}/oauth/token), and Copy puts it on the
// clipboard, at 1280 and 390 px.
func TestTokenEndpointShownInFull(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	want := strings.TrimSuffix(f.srv.Config.Server.GatewayURL, "/") + "/" + f.domain.HRID + "/oauth/token"
	if !strings.HasPrefix(want, "http") {
		t.Fatalf("the test configuration has no gateway URL: %q", want)
	}
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.open(t, "/domains/"+f.domain.ID+"/applications/"+f.app.ID)
		requireText(t, ctx, "the token endpoint", "#token-endpoint", want)
		writeClipboard(t, ctx, "stale clipboard")
		do(t, ctx, "copy the token endpoint", chromedp.Click(chromedp.CSS("#copy-token-endpoint")))
		waitFor(t, ctx, "wait for Copied", `document.querySelector("#copy-token-endpoint").textContent.startsWith("Copied")`)
		if got := readClipboard(t, ctx); got != want {
			t.Errorf("at %d px the clipboard holds %q after Copy, want %q", w, got, want)
		}
		requireFitsWidth(t, ctx, fmt.Sprintf("the overview at %d px", w))
		requireNoPageErrors(t, ctx, "token endpoint")
	}
}

// TestCopyLabelComesBackWhole: a Copy button whose label has a part only
// screen readers hear ("Copy<span class=sr-only>the id of …</span>") shows
// "Copied", then comes back with that part still hidden, not as visible
// text run together ("Copythe id of …").
func TestCopyLabelComesBackWhole(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	cs := storedSecret(t, f.srv, f.app.ID, "Default")
	button := jsString("#copy-secret-id-" + cs.ID)
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		before := run(t, ctx, "read the label", chromedp.Evaluate[string](`document.querySelector(`+button+`).innerHTML`))
		if !strings.Contains(before, "sr-only") {
			t.Fatalf("the id's Copy button has no screen-reader part to keep: %s", before)
		}
		do(t, ctx, "copy the id", chromedp.Click(chromedp.CSS("#copy-secret-id-"+cs.ID)))
		waitFor(t, ctx, "wait for Copied", `document.querySelector(`+button+`).textContent.startsWith("Copied")`)
		waitFor(t, ctx, "wait for the label to come back", `!document.querySelector(`+button+`).textContent.startsWith("Copied")`)
		if got := run(t, ctx, "read the label again", chromedp.Evaluate[string](`document.querySelector(`+button+`).innerHTML`)); got != before {
			t.Errorf("at %d px the label came back as %q, want %q", w, got, before)
		}
	}
}
