package e2e

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/emulation"
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

// open loads a console page.
func (f *consoleFixture) open(t *testing.T, path string) {
	t.Helper()
	load(t, f.ctx, "open "+path, http.StatusOK, path, chromedp.Navigate(f.srv.URL(path)))
	requireScriptsLoaded(t, f.ctx, path)
}

// openTab loads the application's Secrets & Certificates tab.
func (f *consoleFixture) openTab(t *testing.T) {
	t.Helper()
	load(t, f.ctx, "open the secrets tab", http.StatusOK, f.tab, chromedp.Navigate(f.srv.URL(f.tab)))
	requireScriptsLoaded(t, f.ctx, "secrets tab")
}

// lowContrast lists visible text on the page whose colour against its
// background is below WCAG AA (4.5:1; 3:1 for large text). The background
// is the first opaque one found walking up from the text; disabled controls
// are exempt, as WCAG allows.
func lowContrast(t *testing.T, ctx context.Context, step string) []string {
	t.Helper()
	return run(t, ctx, step, chromedp.Evaluate[[]string](`(() => {
		// A theme switch animates colours (transition-colors): measure the
		// end state, not a frame in between.
		document.getAnimations().forEach(a => a.finish());
		const parse = c => { const m = c.match(/[\d.]+/g) || [0, 0, 0, 0]; return m.map(Number).concat(m.length < 4 ? [1] : []); };
		const lum = ([r, g, b]) => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
		const background = el => {
			for (let e = el; e; e = e.parentElement) {
				const c = parse(getComputedStyle(e).backgroundColor);
				if (c[3] > 0.5) return c;
			}
			return [255, 255, 255, 1];
		};
		const out = [];
		for (const el of document.querySelectorAll("body *")) {
			if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
			const r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0 || el.closest("[disabled], .sr-only, [hidden]")) continue;
			const s = getComputedStyle(el);
			if (s.visibility === "hidden" || s.opacity === "0") continue;
			const fg = lum(parse(s.color)), bg = lum(background(el));
			const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
			const size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
			const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
			if (ratio < need) out.push(el.tagName.toLowerCase() + "." + el.className + " “" + el.textContent.trim().slice(0, 30) + "” " + ratio.toFixed(2));
		}
		return out;
	})()`))
}

// bodyIsDark reports whether the page's background is dark.
func bodyIsDark(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return run(t, ctx, "read the background", chromedp.Evaluate[bool](`(() => {
		const m = getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g).map(Number);
		return m[0] + m[1] + m[2] < 3 * 128;
	})()`))
}

// emulateScheme makes the browser report prefers-color-scheme: scheme.
func emulateScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		t.Fatalf("emulate prefers-color-scheme %s: %v", scheme, err)
	}
}

// signInAs signs in an existing person through the login page.
func signInAs(t *testing.T, srv *server, ctx context.Context, email, password string) {
	t.Helper()
	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	)
	load(t, ctx, "log in", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
}
