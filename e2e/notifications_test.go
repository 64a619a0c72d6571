package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"latchkey/models"
	"latchkey/notify"
)

// TestNotificationsFlow reads expiry notices in a real browser: after a run
// of the notifier the bell in the header counts two unread notices, its
// dropdown (a <details> element) lists them with links to the secrets,
// marking one read on the Notifications page lowers the count, and "Mark all
// as read" in the dropdown clears it. Every page must load without a CSP
// violation or a script error.
func TestNotificationsFlow(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	const password = "bell-and-whistle-42"

	// --- Arrange: an owner, one secret expiring in 3 days, one expired, --
	// --- and a run of the notifier. ---------------------------------------
	admin, err := srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: "grace@example.com", Name: "Grace Hopper", Password: password, Role: models.RoleAdmin,
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{Name: "Payments Team", Enabled: true, OwnerIDs: []string{admin.ID}})
	if err != nil {
		t.Fatal(err)
	}
	a, first, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{Name: "Billing API", Type: models.AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(3*24*time.Hour + time.Hour)
	if err := srv.Store.SetSecretExpiry(t.Context(), first.ID, &soon); err != nil {
		t.Fatal(err)
	}
	old, err := srv.Store.CreateSecret(t.Context(), models.Actor{}, a.ID, "legacy")
	if err != nil {
		t.Fatal(err)
	}
	gone := time.Now().Add(-2 * time.Hour)
	if err := srv.Store.SetSecretExpiry(t.Context(), old.ID, &gone); err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(srv.Store, srv.Config, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Run(t.Context()); err != nil {
		t.Fatalf("notifier run: %v", err)
	}
	tabPath := "/domains/" + d.ID + "/applications/" + a.ID + "/secrets"

	// --- Log in: the bell counts two unread notices. ----------------------
	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), admin.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	)
	load(t, ctx, "log in", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	requireScriptsLoaded(t, ctx, "domains page")
	requireText(t, ctx, "the bell's count", "#unread-count", "2")
	if got := run(t, ctx, "the bell's label", chromedp.Evaluate[string](
		`document.querySelector("#notification-menu summary").getAttribute("aria-label")`)); got != "Notifications, 2 unread" {
		t.Errorf("the bell is labelled %q", got)
	}
	if run(t, ctx, "is the dropdown shown", chromedp.Evaluate[bool](`document.querySelector("#notification-dropdown").checkVisibility()`)) {
		t.Fatal("the dropdown is open before the bell is clicked")
	}

	// --- Open the dropdown: both notices, with links to the secrets. ------
	do(t, ctx, "click the bell", chromedp.Click(chromedp.CSS("#notification-menu summary")))
	do(t, ctx, "wait for the dropdown", chromedp.WaitVisible(chromedp.CSS("#notification-dropdown")))
	items := run(t, ctx, "read the dropdown", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#notification-menu-list li")).map(li => li.innerText.replace(/\s+/g, " ").trim())`))
	if len(items) != 2 {
		t.Fatalf("the dropdown lists %d notices, want 2: %q", len(items), items)
	}
	joined := strings.Join(items, " | ")
	for _, want := range []string{"Client secret “Default” of Billing API expires in 3 days", "Client secret “legacy” of Billing API has expired"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the dropdown lacks %q: %q", want, joined)
		}
	}
	links := run(t, ctx, "read the dropdown's links", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll("#notification-menu-list a")).map(a => a.getAttribute("href"))`))
	for _, l := range links {
		if l != tabPath {
			t.Errorf("a dropdown link goes to %q, want %q", l, tabPath)
		}
	}
	requireNoPageErrors(t, ctx, "open the dropdown")
	saveScreenshot(t, ctx, "notifications-01-dropdown")

	// --- Escape, or a click elsewhere, closes it (app.js). ----------------
	isOpen := `document.querySelector("#notification-menu").open`
	do(t, ctx, "press Escape", chromedp.KeyEvent(kb.Escape))
	waitFor(t, ctx, "the dropdown closes on Escape", "!"+isOpen)
	do(t, ctx, "open the dropdown", chromedp.Click(chromedp.CSS("#notification-menu summary")))
	waitFor(t, ctx, "the dropdown opens", isOpen)
	do(t, ctx, "click the page heading", chromedp.Click(chromedp.CSS("main h1")))
	waitFor(t, ctx, "the dropdown closes on a click elsewhere", "!"+isOpen)
	do(t, ctx, "open the dropdown once more", chromedp.Click(chromedp.CSS("#notification-menu summary")))
	waitFor(t, ctx, "the dropdown opens again", isOpen)

	// --- A notice's link opens the secrets tab. ----------------------------
	load(t, ctx, "follow a notice", http.StatusOK, regexp.QuoteMeta(tabPath),
		chromedp.Click(chromedp.CSS("#notification-menu-list a")))
	requireText(t, ctx, "the count is unchanged by reading the tab", "#unread-count", "2")

	// --- Mark one read on the Notifications page: the count drops. --------
	do(t, ctx, "open the dropdown again", chromedp.Click(chromedp.CSS("#notification-menu summary")))
	load(t, ctx, `click "See all notifications"`, http.StatusOK, `/notifications`,
		chromedp.Click(chromedp.Search(`//*[@id="notification-dropdown"]//a[normalize-space()="See all notifications"]`)))
	requireText(t, ctx, "notifications heading", "main h1", "Notifications")
	requireContains(t, ctx, "the last run", "#last-run-summary", "4 notices sent (2 console, 2 log)")
	saveScreenshot(t, ctx, "notifications-02-page")
	load(t, ctx, "mark the first notice read", http.StatusOK, `/notifications`,
		chromedp.Click(chromedp.CSS(`#notification-list li[data-unread] form button[type=submit]`)))
	requireText(t, ctx, "flash after marking one read", ".flash-success", "Notification marked as read.")
	requireText(t, ctx, "the bell's count after one is read", "#unread-count", "1")
	if got := run(t, ctx, "count unread rows", chromedp.Evaluate[int](`document.querySelectorAll("#notification-list li[data-unread]").length`)); got != 1 {
		t.Errorf("%d notices are shown unread, want 1", got)
	}

	// --- "Mark all as read" in the dropdown clears the count. -------------
	load(t, ctx, "go back to the domain", http.StatusOK, domainPattern, chromedp.Navigate(srv.URL("/domains/"+d.ID)))
	requireContains(t, ctx, "the domain lists its expiring secrets", "#expiring-secrets", "legacy")
	saveScreenshot(t, ctx, "notifications-03-domain")
	do(t, ctx, "open the dropdown", chromedp.Click(chromedp.CSS("#notification-menu summary")))
	do(t, ctx, "wait for the dropdown", chromedp.WaitVisible(chromedp.CSS("#menu-mark-all-read")))
	load(t, ctx, `click "Mark all as read"`, http.StatusOK, `/notifications`,
		chromedp.Click(chromedp.CSS("#menu-mark-all-read")))
	requireText(t, ctx, "flash after marking all read", ".flash-success", "1 notification marked as read.")
	requireAbsent(t, ctx, "the bell's count after marking all read", "#unread-count")
	if got := run(t, ctx, "the bell's label after", chromedp.Evaluate[string](
		`document.querySelector("#notification-menu summary").getAttribute("aria-label")`)); got != "Notifications, none unread" {
		t.Errorf("the bell is labelled %q", got)
	}
	do(t, ctx, "open the empty dropdown", chromedp.Click(chromedp.CSS("#notification-menu summary")))
	requireContains(t, ctx, "the empty dropdown", "#notification-dropdown", "No unread notifications.")
	requireNoPageErrors(t, ctx, "mark all read")
	saveScreenshot(t, ctx, "notifications-04-all-read")

	if c, _ := srv.Store.UnreadNotificationCount(t.Context(), admin.ID); c != 0 {
		t.Errorf("%d notices are unread in the database", c)
	}
}
