package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStepsRightAfterANavigation loads pages in quick succession and polls
// each new document at once, as every test does after load: the harness
// must not let a poll run in the context of the document that was just
// replaced (it failed with "Cannot find context with specified id" on a
// busy machine).
func TestStepsRightAfterANavigation(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	for i := range 60 {
		step := fmt.Sprintf("load %d", i)
		load(t, ctx, step, http.StatusOK, `/login`, chromedp.Navigate(srv.URL(fmt.Sprintf("/login?n=%d", i))))
		waitFor(t, ctx, step+": poll the new page", fmt.Sprintf(`location.search === "?n=%d" && typeof window.htmx === "object"`, i))
	}
}
