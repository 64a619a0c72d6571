package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"latchkey/models"
	"latchkey/notify"
)

// TestRevealDialogAsksBeforeClosing (issue 18, items 1 and 4): Escape and
// a click outside the reveal dialog ask "Close without saving the value?"
// instead of throwing the one-time value away; "Keep it open" keeps it, only
// "Close without saving" closes. The dialog and its buttons fit a phone.
func TestRevealDialogAsksBeforeClosing(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		desc := "guarded-" + strconv.FormatInt(w, 10)
		do(t, ctx, `click "+ New client secret"`, chromedp.Click(chromedp.CSS("#new-secret")))
		requireModalDialog(t, ctx, "the new-secret dialog", "New client secret")
		do(t, ctx, "type the description", chromedp.SendKeys(chromedp.CSS("#f-description"), desc))
		do(t, ctx, "create the secret", chromedp.Click(chromedp.CSS("#create-secret")))
		do(t, ctx, "wait for the value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
		requireModalDialog(t, ctx, "the reveal dialog", "Client secret created")
		value := run(t, ctx, "read the value", chromedp.Value(chromedp.CSS("#secret-value")))
		for _, sel := range []string{"dialog#dialog", "#copy-secret", "#secret-ok"} {
			requireInViewport(t, ctx, fmt.Sprintf("at %d px", w), sel)
		}
		if !run(t, ctx, "the prompt starts hidden", chromedp.Evaluate[bool](`document.querySelector("#secret-guard").hidden`)) {
			t.Fatal("the close prompt is visible before anything asked to close")
		}

		// Escape asks; the safe answer has the focus, so Enter keeps it.
		pressEscape(t, ctx, "press Escape")
		waitFor(t, ctx, "wait for the prompt", `!document.querySelector("#secret-guard").hidden`)
		requireContains(t, ctx, "the question", "#secret-guard", "Close without saving the value? It cannot be shown again")
		requireModalDialog(t, ctx, "the reveal after Escape", "Client secret created")
		if got := activeID(t, ctx); got != "secret-keep" {
			t.Errorf("focus after Escape is on %q, want \"Keep it open\"", got)
		}
		do(t, ctx, "keep it open", chromedp.Click(chromedp.CSS("#secret-keep")))
		waitFor(t, ctx, "wait for the prompt to go", `document.querySelector("#secret-guard").hidden`)
		requireModalDialog(t, ctx, "the reveal after Keep", "Client secret created")
		if got := run(t, ctx, "read the value again", chromedp.Value(chromedp.CSS("#secret-value"))); got != value {
			t.Fatalf("the value after Keep is %q, want %q", got, value)
		}

		// Escape twice in a row (the browser may then close without asking
		// the page): still open, still asking.
		pressEscape(t, ctx, "press Escape")
		pressEscape(t, ctx, "press Escape again")
		waitFor(t, ctx, "wait for the prompt", `!document.querySelector("#secret-guard").hidden`)
		requireModalDialog(t, ctx, "the reveal after two Escapes", "Client secret created")
		do(t, ctx, "keep it open", chromedp.Click(chromedp.CSS("#secret-keep")))

		// A click on the backdrop asks too.
		do(t, ctx, "click outside the dialog", chromedp.MouseClickXY(2, 2))
		waitFor(t, ctx, "wait for the prompt", `!document.querySelector("#secret-guard").hidden`)
		requireModalDialog(t, ctx, "the reveal after a click outside", "Client secret created")
		requireInViewport(t, ctx, "the discard button", "#secret-discard")
		requireNoPageErrors(t, ctx, "guarded reveal")
		saveScreenshot(t, ctx, "console-reveal-guard-"+strconv.FormatInt(w, 10))

		// Only the explicit confirmation closes it.
		load(t, ctx, "close without saving", http.StatusOK, regexp.QuoteMeta(f.tab), chromedp.Click(chromedp.CSS("#secret-discard")))
		requireAbsent(t, ctx, "the value after closing", "#secret-value")
		storedSecret(t, f.srv, f.app.ID, desc)
	}
}

// TestDialogFocus (issue 18, item 10): the Renew dialog focuses Cancel (Enter
// must not renew at once), and after Escape or Cancel the focus is back on
// the button that opened the dialog.
func TestDialogFocus(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	secrets, err := f.srv.Store.Secrets(t.Context(), f.app.ID)
	if err != nil || len(secrets) != 1 {
		t.Fatalf("Secrets = %v, %v", secrets, err)
	}
	first := secrets[0]
	renew := `#secrets-table tr[data-secret-id="` + first.ID + `"] [data-action=renew]`
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)

		// Focus, then activate: a key event's Enter could land in the
		// dialog it opens and submit it.
		do(t, ctx, "focus and open Renew", chromedp.Evaluate[chromedp.Void](`(el => { el.focus(); el.click(); })(document.querySelector(`+jsString(renew)+`))`))
		requireModalDialog(t, ctx, "the renew dialog", "Renew “"+first.Description+"”?")
		if got := activeID(t, ctx); got != "cancel-dialog" {
			t.Errorf("at %d px the renew dialog focuses %q, want Cancel", w, got)
		}
		pressEscape(t, ctx, "press Escape on the renew dialog")
		waitFor(t, ctx, "wait for the dialog to close", `!document.querySelector("dialog#dialog").open`)
		waitFor(t, ctx, "wait for the focus on Renew", `document.activeElement === document.querySelector(`+jsString(renew)+`)`)
		if got := storedSecret(t, f.srv, f.app.ID, first.Description); got.Digest != first.Digest {
			t.Fatal("Escape on the renew dialog renewed the secret")
		}

		do(t, ctx, "focus and open New", chromedp.Evaluate[chromedp.Void](`(el => { el.focus(); el.click(); })(document.querySelector("#new-secret"))`))
		requireModalDialog(t, ctx, "the new-secret dialog", "New client secret")
		do(t, ctx, "cancel", chromedp.Click(chromedp.Search(`//dialog[@id="dialog"]//a[normalize-space()="Cancel"]`)))
		waitFor(t, ctx, "wait for the dialog to close", `!document.querySelector("dialog#dialog").open`)
		waitFor(t, ctx, "wait for the focus on New", `document.activeElement && document.activeElement.id === "new-secret"`)
		requireNoPageErrors(t, ctx, "dialog focus")
	}
}

// TestSecretLimitsShownDisabled (issue 18, items 7 and 9): at 10 of 10 the
// "+ New client secret" button is disabled with its reason, and the last
// secret's Delete is shown disabled with why.
func TestSecretLimitsShownDisabled(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		requireText(t, ctx, "count", "#secret-count", "1 of 10 secrets")
		if run(t, ctx, "read New", chromedp.Evaluate[bool](`document.querySelector("#new-secret").matches("a[href]:not([disabled])")`)) != true {
			t.Error("New is not an active link below the limit")
		}
		if !isDisabled(t, ctx, `#secrets-table [data-action=delete-locked]`) {
			t.Error("the last secret's Delete is not shown disabled")
		}
		requireAbsent(t, ctx, "an active Delete on the last secret", `#secrets-table [data-action=delete]`)
		requireContains(t, ctx, "why Delete is disabled", "#secrets-table", "An application keeps at least one secret.")
		requireFitsWidth(t, ctx, fmt.Sprintf("secrets tab at %d px", w))
	}
	for i := 2; i <= 10; i++ {
		if _, err := f.srv.Store.CreateSecret(t.Context(), models.Actor{}, f.app.ID, "secret-"+strconv.Itoa(i)); err != nil {
			t.Fatalf("CreateSecret %d: %v", i, err)
		}
	}
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		requireText(t, ctx, "count at the limit", "#secret-count", "10 of 10 secrets · limit reached: renew or delete a secret to make room")
		if !isDisabled(t, ctx, "#new-secret") {
			t.Error("New is enabled at 10 of 10")
		}
		requireText(t, ctx, "why New is disabled", "#new-secret-reason", "10 of 10 secrets: delete one first.")
		requireAbsent(t, ctx, "a locked Delete with ten secrets", `#secrets-table [data-action=delete-locked]`)
		requireFitsWidth(t, ctx, fmt.Sprintf("secrets tab at the limit at %d px", w))
	}
}

// TestNoneHidesDuration (issue 18, item 6): choosing NONE in the
// application's override hides the duration field; another unit shows it.
func TestNoneHidesDuration(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	hidden := `document.querySelector("#duration-field").hidden`
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		openSettingsDialog(t, ctx, "open the settings")
		do(t, ctx, "override the domain rules", chromedp.Click(chromedp.CSS("#f-use-domain")))
		do(t, ctx, "choose NONE", chromedp.SetValue(chromedp.CSS("#f-unit"), models.UnitNone),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-unit").dispatchEvent(new Event("change", {bubbles: true}))`))
		waitFor(t, ctx, "wait for the duration to hide", hidden)
		do(t, ctx, "choose DAYS", chromedp.SetValue(chromedp.CSS("#f-unit"), models.UnitDays),
			chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-unit").dispatchEvent(new Event("change", {bubbles: true}))`))
		waitFor(t, ctx, "wait for the duration to show", "!"+hidden)
		requireInViewport(t, ctx, fmt.Sprintf("Save at %d px", w), "#save-settings")
		requireNoPageErrors(t, ctx, "NONE hides the duration")
	}
}

// TestSecretIDAndTimes (issue 18, items 2, 11 and 13): a secret's id is
// shown beside its hint and copied by its button; a 2-day secret reads "in 2
// days" (not "in 1 day") beside its exact UTC time; renewing fills the
// Renewed column.
func TestSecretIDAndTimes(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	if _, _, err := f.srv.Store.UpdateAppSecretPolicy(t.Context(), models.Actor{}, f.domain.ID, f.app.ID,
		models.ExpiryInput{Enabled: true, Unit: models.UnitDays, Duration: "2"}); err != nil {
		t.Fatalf("UpdateAppSecretPolicy: %v", err)
	}
	if _, err := f.srv.Store.CreateSecret(t.Context(), models.Actor{}, f.app.ID, "two-days"); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	cs := storedSecret(t, f.srv, f.app.ID, "two-days")
	row := `#secrets-table tr[data-secret-id="` + cs.ID + `"]`
	for _, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		requireText(t, ctx, "the id", row+" .secret-id", cs.ID)
		requireContains(t, ctx, "the exact expiry", row+" .secret-expires", cs.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"))
		requireContains(t, ctx, "the countdown", row+" .secret-expires", "in 2 days")
		requireText(t, ctx, "never renewed", row+" .secret-renewed", "Never")
		writeClipboard(t, ctx, "stale clipboard")
		do(t, ctx, "copy the id", chromedp.Click(chromedp.CSS("#copy-secret-id-"+cs.ID)))
		waitFor(t, ctx, "wait for the copy", `document.querySelector(`+jsString("#copy-secret-id-"+cs.ID)+`).innerText.startsWith("Copied")`)
		if got := readClipboard(t, ctx); got != cs.ID {
			t.Errorf("at %d px the clipboard holds %q after copying the id, want %q", w, got, cs.ID)
		}
		requireFitsWidth(t, ctx, fmt.Sprintf("secrets tab at %d px", w))
	}
	renewInBrowser(t, ctx, cs.ID, "two-days", regexp.QuoteMeta(f.tab))
	renewed := storedSecret(t, f.srv, f.app.ID, "two-days")
	requireContains(t, ctx, "the renewal time", row+" .secret-renewed", renewed.RenewedAt.UTC().Format("2006-01-02 15:04 UTC"))
	requireContains(t, ctx, "the renewal countdown", row+" .secret-renewed", "just now")
}

// TestLiveBell (issue 18, item 16): a notice given while a page is open
// reaches the bell without a page load (the bell asks the server every
// minute; the test fires the same request with the bell's event instead of
// waiting a minute), and Dismiss in the bell marks it read in place.
func TestLiveBell(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	secrets, err := f.srv.Store.Secrets(t.Context(), f.app.ID)
	if err != nil || len(secrets) != 1 {
		t.Fatalf("Secrets = %v, %v", secrets, err)
	}
	for i, w := range widths {
		setWidth(t, ctx, w)
		f.openTab(t)
		requireAbsent(t, ctx, "no unread count yet", "#unread-count")
		trigger := run(t, ctx, "read the bell's trigger", chromedp.Evaluate[string](`document.querySelector("#notification-menu").getAttribute("hx-trigger")`))
		if !strings.Contains(trigger, "every 60s") {
			t.Errorf("the bell's hx-trigger is %q, want a poll every 60s", trigger)
		}
		do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.latchkeyTestMark = true`))

		// A notice arrives: the secret expires in 3 days (or is expired).
		at := time.Now().Add(3 * 24 * time.Hour)
		if i > 0 {
			at = time.Now().Add(-time.Hour)
		}
		if err := f.srv.Store.SetSecretExpiry(t.Context(), secrets[0].ID, &at); err != nil {
			t.Fatal(err)
		}
		n, err := notify.New(f.srv.Store, f.srv.Config, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		do(t, ctx, "tick the bell", chromedp.Evaluate[chromedp.Void](`document.body.dispatchEvent(new CustomEvent("latchkey:bell"))`))
		waitFor(t, ctx, "wait for the unread count", `(document.querySelector("#unread-count") || {innerText: ""}).innerText === "1"`)
		if !run(t, ctx, "read the mark", chromedp.Evaluate[bool](`window.latchkeyTestMark === true`)) {
			t.Fatal("the bell reloaded the page; want the count refreshed in place")
		}

		do(t, ctx, "open the bell", chromedp.Click(chromedp.CSS("#notification-menu summary")))
		do(t, ctx, "wait for the list", chromedp.WaitVisible(chromedp.CSS("#notification-menu-list .notice-dismiss")))
		requireInViewport(t, ctx, fmt.Sprintf("the bell's list at %d px", w), "#notification-dropdown")
		requireInViewport(t, ctx, fmt.Sprintf("Dismiss at %d px", w), "#notification-menu-list .notice-dismiss")
		do(t, ctx, "dismiss the notice", chromedp.Click(chromedp.CSS("#notification-menu-list .notice-dismiss")))
		waitFor(t, ctx, "wait for the count to go", `document.querySelector("#unread-count") === null && document.querySelector("#notification-menu").open`)
		requireContains(t, ctx, "the emptied bell", "#notification-dropdown", "No unread notifications.")
		if c, err := f.srv.Store.UnreadNotificationCount(t.Context(), f.admin.ID); err != nil || c != 0 {
			t.Fatalf("unread after dismissing = %d, %v; want 0", c, err)
		}
		if !run(t, ctx, "read the mark", chromedp.Evaluate[bool](`window.latchkeyTestMark === true`)) {
			t.Fatal("dismissing reloaded the page; want the bell updated in place")
		}
		requireFitsWidth(t, ctx, fmt.Sprintf("the open bell at %d px", w))
		requireNoPageErrors(t, ctx, "live bell")
	}
}

// TestLongNamesNeverWidenThePage (issue 18, items 3 and 4): with the longest
// names allowed everywhere (64 characters without a space), no page is
// wider than the viewport, at 1280 px and at 390 px.
func TestLongNamesNeverWidenThePage(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	admin := signIn(t, srv, ctx)
	long := func(prefix string) string { return prefix + strings.Repeat("x", 64-len(prefix)) }
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{
		Name: long("Domain"), Description: long("Description"), Enabled: true, OwnerIDs: []string{admin.ID},
	})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, _, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{
		Name: long("Application"), Description: long("About"), Type: models.AppTypeWeb, OwnerID: admin.ID,
	})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	if _, err := srv.Store.CreateSecret(t.Context(), models.Actor{}, a.ID, long("Secret")); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if _, err := srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: long("user") + "@example.com", Name: long("Name"), Password: "correct-horse-battery-9", Role: models.RoleViewer,
	}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	domain := "/domains/" + d.ID
	app := domain + "/applications/" + a.ID
	pages := []string{
		"/domains", "/domains/new", domain, domain + "/edit", domain + "/delete", domain + "/settings/client-secrets",
		domain + "/applications/new", app, app + "/edit", app + "/delete", app + "/secrets", app + "/secrets/new",
		app + "/secrets/settings", "/audit", "/users", "/users/new", "/account", "/notifications",
		domain + "/settings/certificates",
	}
	for _, w := range widths {
		setWidth(t, ctx, w)
		for _, p := range pages {
			load(t, ctx, "open "+p, http.StatusOK, regexp.QuoteMeta(p), chromedp.Navigate(srv.URL(p)))
			requireScriptsLoaded(t, ctx, p)
			requireFitsWidth(t, ctx, fmt.Sprintf("%s at %d px", p, w))
			if p == app+"/secrets" || p == domain {
				saveScreenshot(t, ctx, fmt.Sprintf("console-long-names-%d-%d", w, len(p)))
			}
		}
	}
}

// TestDarkMode (issue 18, items 11 and 17): the console follows the
// system's colour scheme, the header's toggle overrides it and is
// remembered across pages, and text passes WCAG AA contrast in both themes.
// The page has a favicon.
func TestDarkMode(t *testing.T) {
	f := newConsoleFixture(t, "Billing API")
	ctx := f.ctx
	for _, w := range widths {
		setWidth(t, ctx, w)
		for _, scheme := range []string{"light", "dark"} {
			emulateScheme(t, ctx, scheme)
			for _, p := range []string{f.tab, "/domains/" + f.domain.ID, "/notifications"} {
				f.open(t, p)
				if got := bodyIsDark(t, ctx); got != (scheme == "dark") {
					t.Errorf("%s at %d px with a %s system: dark = %v", p, w, scheme, got)
				}
				if bad := lowContrast(t, ctx, "measure contrast"); len(bad) > 0 {
					t.Errorf("%s at %d px, %s: text below AA contrast: %v", p, w, scheme, bad)
				}
			}
		}
		// The system says dark; the toggle cycles dark → light → system.
		f.openTab(t)
		do(t, ctx, "toggle: dark", chromedp.Click(chromedp.CSS("#theme-toggle")))
		if !bodyIsDark(t, ctx) {
			t.Error("the toggle's dark theme is not dark")
		}
		do(t, ctx, "toggle: light", chromedp.Click(chromedp.CSS("#theme-toggle")))
		waitFor(t, ctx, "wait for the light theme", `document.documentElement.classList.contains("light")`)
		if bodyIsDark(t, ctx) {
			t.Error("the toggle's light theme is dark")
		}
		if bad := lowContrast(t, ctx, "measure contrast"); len(bad) > 0 {
			t.Errorf("light theme on a dark system at %d px: text below AA contrast: %v", w, bad)
		}
		f.open(t, "/domains")
		if bodyIsDark(t, ctx) {
			t.Error("the chosen light theme was forgotten on the next page")
		}
		if got := run(t, ctx, "read the toggle", chromedp.Evaluate[string](`document.querySelector("#theme-toggle").getAttribute("aria-label")`)); got != "Theme: light" {
			t.Errorf("the toggle is labelled %q, want %q", got, "Theme: light")
		}
		do(t, ctx, "toggle: system", chromedp.Click(chromedp.CSS("#theme-toggle")))
		waitFor(t, ctx, "wait for the system theme", `!document.documentElement.classList.contains("light") && !document.documentElement.classList.contains("dark")`)
		if !bodyIsDark(t, ctx) {
			t.Error("back on the system's theme, the page is not dark")
		}
		emulateScheme(t, ctx, "light")
	}
	status := run(t, ctx, "fetch the favicon", chromedp.Evaluate[int](`fetch(document.querySelector("link[rel=icon]").href).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != http.StatusOK {
		t.Errorf("the favicon answered %d, want 200", status)
	}
	requireNoPageErrors(t, ctx, "dark mode")
}

// TestViewerSeesSettingsReadOnly (issue 18, item 8): a viewer reads the
// domain's Client Secrets Settings and the application's override as text
// with a "read only" note, with no control that looks editable.
func TestViewerSeesSettingsReadOnly(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	const password = "correct-horse-battery-9"
	viewer, err := srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: "vic@example.com", Name: "Vic Viewer", Password: password, Role: models.RoleViewer,
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{Name: "Payments Team", Enabled: true, OwnerIDs: []string{viewer.ID}})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, _, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	signInAs(t, srv, ctx, viewer.Email, password)
	settings := "/domains/" + d.ID + "/settings/client-secrets"
	tab := "/domains/" + d.ID + "/applications/" + a.ID + "/secrets"
	noControls := `document.querySelectorAll("main input:not([type=hidden]):not([readonly]), main select, main textarea, main button[type=submit]").length`
	for _, w := range widths {
		setWidth(t, ctx, w)
		load(t, ctx, "open the domain settings", http.StatusOK, regexp.QuoteMeta(settings), chromedp.Navigate(srv.URL(settings)))
		requireText(t, ctx, "heading", "main h1", "Client Secrets Settings")
		requireContains(t, ctx, "the read-only note", "#read-only-note", "read only")
		requireContains(t, ctx, "the policy as text", "#policy-read-only", "Client secret expiry")
		if n := run(t, ctx, "count controls", chromedp.Evaluate[int](noControls)); n != 0 {
			t.Errorf("at %d px a viewer sees %d editable controls on the domain settings", w, n)
		}
		load(t, ctx, "open the tab", http.StatusOK, regexp.QuoteMeta(tab), chromedp.Navigate(srv.URL(tab)))
		requireScriptsLoaded(t, ctx, "tab")
		do(t, ctx, "open Settings", chromedp.Click(chromedp.CSS("#secret-settings")))
		requireModalDialog(t, ctx, "the settings dialog", "Client Secrets Settings")
		requireContains(t, ctx, "the override as text", "dialog#dialog #policy-read-only", "Uses the domain rules")
		requireContains(t, ctx, "the read-only note in the dialog", "dialog#dialog #read-only-note", "read only")
		if n := run(t, ctx, "count dialog controls", chromedp.Evaluate[int](`document.querySelectorAll("dialog#dialog input, dialog#dialog select, dialog#dialog button[type=submit]").length`)); n != 0 {
			t.Errorf("at %d px a viewer sees %d editable controls in the settings dialog", w, n)
		}
		requireInViewport(t, ctx, "Close", "dialog#dialog #cancel-dialog")
		requireFitsWidth(t, ctx, fmt.Sprintf("viewer settings at %d px", w))
		requireNoPageErrors(t, ctx, "viewer settings")
	}
}

// TestSetupShowsEveryFieldError (issue 18, item 11): the setup form shows
// the message of every wrong field at once, not only the first; a used
// setup link says so in a sentence that starts with a capital.
func TestSetupShowsEveryFieldError(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	setup := srv.SetupURL(t)
	token := setup[strings.Index(setup, "token=")+len("token="):]
	for _, w := range widths {
		load(t, ctx, "open the setup link", http.StatusOK, `/setup`, chromedp.Navigate(setup))
		setWidth(t, ctx, w)
		do(t, ctx, "fill in a wrong form",
			chromedp.SendKeys(chromedp.CSS("#f-email"), "not-an-address"),
			chromedp.SendKeys(chromedp.CSS("#f-password"), "short"),
			chromedp.SendKeys(chromedp.CSS("#f-confirm"), "other"),
			// The browser's own checks would stop at the first field.
			chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action='/setup']").noValidate = true`),
			chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)),
		)
		do(t, ctx, "wait for the errors", chromedp.WaitVisible(chromedp.CSS("#e-confirm")))
		expectPageError(t, ctx, "the refused setup", regexp.MustCompile(`status of 422`))
		for _, id := range []string{"#e-name", "#e-email", "#e-password", "#e-confirm"} {
			if got := run(t, ctx, "read "+id, chromedp.Evaluate[string](`(document.querySelector(`+jsString(id)+`) || {innerText: ""}).innerText`)); got == "" {
				t.Errorf("at %d px the setup form shows no message at %s", w, id)
			}
		}
		requireFitsWidth(t, ctx, fmt.Sprintf("setup at %d px", w))
	}
	if _, err := srv.Store.CompleteSetup(t.Context(), models.Actor{}, token, models.NewUser{
		Email: "ada@example.com", Name: "Ada Lovelace", Password: "correct-horse-battery-9",
	}); err != nil {
		t.Fatalf("CompleteSetup: %v", err)
	}
	do(t, ctx, "open the used link", chromedp.Navigate(setup))
	expectPageError(t, ctx, "the used link", regexp.MustCompile(`status of 404`))
	requireText(t, ctx, "the used link", "main [role=alert]", "The setup link is invalid or has already been used.")
}
