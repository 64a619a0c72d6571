package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// widths are the viewport widths every console item is tried at: a laptop
// and a phone.
var widths = []int64{1280, 390}

// setWidth makes the tab a viewport of the given width (and a plausible
// height for it).
func setWidth(t *testing.T, ctx context.Context, width int64) {
	t.Helper()
	height := int64(900)
	if width < 640 {
		height = 844
	}
	do(t, ctx, "set the viewport", chromedp.EmulateViewport(width, height))
	waitFor(t, ctx, "wait for the viewport", `window.innerWidth === `+strconv.FormatInt(width, 10))
}

// activeID is the id of the focused element ("" for none).
func activeID(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "read the focus", chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
}

// pressEscape sends the Escape key to the focused element.
func pressEscape(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	do(t, ctx, step, chromedp.KeyEvent("\u001b"))
}

// requireFitsWidth fails unless the page is no wider than the viewport.
func requireFitsWidth(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	got := run(t, ctx, step+": measure", chromedp.Evaluate[[]int](
		`[document.documentElement.scrollWidth, window.innerWidth]`))
	if got[0] > got[1] {
		wide := run(t, ctx, step+": find what is too wide", chromedp.Evaluate[[]string](`
			Array.from(document.querySelectorAll("body *")).filter(el => {
				const r = el.getBoundingClientRect();
				if (r.right <= window.innerWidth + 0.5) return false;
				// Nothing inside a box that scrolls on its own.
				for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
					if (getComputedStyle(p).overflowX !== "visible") return false;
				}
				return true;
			}).slice(0, 8).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className + " → " + Math.round(el.getBoundingClientRect().right))`))
		t.Errorf("%s: the page is %d px wide in a %d px viewport; too wide: %v", step, got[0], got[1], wide)
	}
}

// requireInViewport fails unless the element lies inside the viewport
// horizontally (a dialog's buttons on a phone).
func requireInViewport(t *testing.T, ctx context.Context, step, selector string) {
	t.Helper()
	ok := run(t, ctx, step, chromedp.Evaluate[bool](`(() => {
		const r = document.querySelector(`+jsString(selector)+`).getBoundingClientRect();
		return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth;
	})()`))
	if !ok {
		t.Errorf("%s: %s is not inside the viewport", step, selector)
	}
}

// consoleFixture is an administrator signed in, a domain and an application
// with its Default secret.
type consoleFixture struct {
	srv    *server
	ctx    context.Context
	admin  *models.User
	domain *models.Domain
	app    *models.Application
	tab    string
}

func newConsoleFixture(t *testing.T, appName string) *consoleFixture {
	t.Helper()
	srv := startServer(t)
	ctx := newBrowser(t)
	admin := signIn(t, srv, ctx)
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{
		Name: "Payments Team", Enabled: true, OwnerIDs: []string{admin.ID},
	})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, _, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{
		Name: appName, Type: models.AppTypeService, OwnerID: admin.ID,
	})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	return &consoleFixture{srv: srv, ctx: ctx, admin: admin, domain: d, app: a,
		tab: "/domains/" + d.ID + "/applications/" + a.ID + "/secrets"}
}

// openTab loads the application's Secrets & Certificates tab.
func (f *consoleFixture) openTab(t *testing.T) {
	t.Helper()
	load(t, f.ctx, "open the secrets tab", http.StatusOK, f.tab, chromedp.Navigate(f.srv.URL(f.tab)))
	requireScriptsLoaded(t, f.ctx, "secrets tab")
}
