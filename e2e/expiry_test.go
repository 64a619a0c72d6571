package e2e

import (
	"context"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// TestExpiryPoliciesFlow sets client-secret expiry policies in a real
// browser (issue 4): it enables a domain expiry of 2 DAYS on the domain's
// "Client Secrets Settings" page (the unit and duration appear only once the
// toggle is ticked), creates a secret and finds it expiring about two days
// from now; then, in the application's "Client Secrets Settings" dialog, it
// unticks "Use Domain Rules", chooses NONE, renews the secret and sees
// "Never"; finally it sets 1 HOURS, renews and sees an expiry about an hour
// away. What the browser did is checked in the database too; every step must
// run without a CSP violation or a script error.
func TestExpiryPoliciesFlow(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)

	const (
		password = "correct-horse-battery-9"
		desc     = "rotating"
		slack    = time.Minute
	)

	// --- Arrange: an administrator, a domain, an application. -------------
	admin, err := srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: "grace@example.com", Name: "Grace Hopper", Password: password, Role: models.RoleAdmin,
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{
		Name: "Identity Team", Enabled: true, OwnerIDs: []string{admin.ID},
	})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, _, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{
		Name: "Ledger", Type: models.AppTypeService, OwnerID: admin.ID,
	})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	domainPath := "/domains/" + d.ID
	settingsPath := domainPath + "/settings/client-secrets"
	tabPath := domainPath + "/applications/" + a.ID + "/secrets"
	tabPattern := regexp.QuoteMeta(tabPath)

	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), admin.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	)
	load(t, ctx, "log in", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))

	// --- 1. Domain: enable expiry of 2 DAYS. -------------------------------
	load(t, ctx, "open the domain", http.StatusOK, regexp.QuoteMeta(domainPath), chromedp.Navigate(srv.URL(domainPath)))
	requireText(t, ctx, "the domain's policy before", "#domain-secret-policy .policy-summary", "no expiry")
	load(t, ctx, "open Client Secrets settings", http.StatusOK, regexp.QuoteMeta(settingsPath),
		chromedp.Click(chromedp.Search(`//*[@id="domain-secret-policy"]//a[normalize-space()="Client Secrets Settings"]`)))
	requireScriptsLoaded(t, ctx, "domain settings")
	requireText(t, ctx, "the settings heading", "main h1", "Client Secrets Settings")
	waitFor(t, ctx, "unit and duration hidden while expiry is off",
		`document.getElementById("policy-fields").hidden && document.getElementById("f-duration").offsetParent === null`)
	do(t, ctx, `tick "Enable client secret expiry"`, chromedp.Click(chromedp.CSS("#f-enabled")))
	do(t, ctx, "wait for the unit and duration", chromedp.WaitVisible(chromedp.CSS("#f-duration")))
	if got := run(t, ctx, "read the default unit", chromedp.Value(chromedp.CSS("#f-unit"))); got != models.UnitMonths {
		t.Errorf("the unit offered first is %q, want %s", got, models.UnitMonths)
	}
	if got := run(t, ctx, "read the default duration", chromedp.Value(chromedp.CSS("#f-duration"))); got != "3" {
		t.Errorf("the duration offered first is %q, want 3", got)
	}
	do(t, ctx, "choose 2 DAYS",
		chromedp.SetValue(chromedp.CSS("#f-unit"), models.UnitDays),
		chromedp.Clear(chromedp.CSS("#f-duration")),
		chromedp.SendKeys(chromedp.CSS("#f-duration"), "2"),
	)
	saveScreenshot(t, ctx, "expiry-01-domain-policy")
	load(t, ctx, "save the domain policy", http.StatusOK, regexp.QuoteMeta(domainPath),
		chromedp.Click(chromedp.Search(`//main//form//button[normalize-space()="Save"]`)))
	requireContains(t, ctx, "the saved message", ".flash-success", "Client secret policy saved")
	requireText(t, ctx, "the domain's policy after", "#domain-secret-policy .policy-summary", "expires after 2 days")
	stored, err := srv.Store.DomainByID(t.Context(), d.ID)
	if err != nil {
		t.Fatalf("DomainByID: %v", err)
	}
	if got, want := stored.SecretPolicy(), (models.ExpiryPolicy{Enabled: true, Unit: models.UnitDays, Duration: 2}); got != want {
		t.Fatalf("stored domain policy = %+v, want %+v", got, want)
	}

	// --- 2. Create a secret: it expires in about 2 days. -------------------
	load(t, ctx, "open the Secrets & Certificates tab", http.StatusOK, tabPattern, chromedp.Navigate(srv.URL(tabPath)))
	requireScriptsLoaded(t, ctx, "secrets tab")
	do(t, ctx, `click "+ New client secret"`, chromedp.Click(chromedp.CSS("#new-secret")))
	requireModalDialog(t, ctx, "the new-secret dialog", "New client secret")
	do(t, ctx, "type the description", chromedp.SendKeys(chromedp.CSS("#f-description"), desc))
	before := time.Now()
	do(t, ctx, "create the secret", chromedp.Click(chromedp.CSS("#create-secret")))
	do(t, ctx, "wait for the value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
	after := time.Now()
	closeReveal(t, ctx, "close the new value", tabPattern)
	cs := storedSecret(t, srv, a.ID, desc)
	row := readExpiry(t, ctx, cs.ID)
	requireExpiryNear(t, "the new secret under 2 DAYS", row, before.Add(48*time.Hour), after.Add(48*time.Hour), slack)
	requireHint(t, "the new secret under 2 DAYS", row, "in 1 day", "in 2 days")
	if cs.ExpiresAt == nil || row.DateTime != cs.ExpiresAt.UTC().Format(time.RFC3339) {
		t.Errorf("the table shows %q, the database holds %v", row.DateTime, cs.ExpiresAt)
	}
	// Two days is within the first notification threshold (20 days).
	requireText(t, ctx, "status of the new secret", expiryRowSel(cs.ID)+" .secret-status", "Expiring soon")
	saveScreenshot(t, ctx, "expiry-02-two-days")

	// --- 3. Application: NONE overrides the domain; a renewal never expires.
	openSettingsDialog(t, ctx, "the settings dialog")
	if !run(t, ctx, "read the toggle", chromedp.Evaluate[bool](`document.getElementById("f-use-domain").checked`)) {
		t.Fatal(`"Use Domain Rules" is not ticked by default`)
	}
	requireContains(t, ctx, "the domain rule shown", "#domain-rule", "expires after 2 days")
	waitFor(t, ctx, "the override hidden while using the domain rules",
		`document.getElementById("override-fields").hidden && document.getElementById("f-unit").offsetParent === null`)
	do(t, ctx, `untick "Use Domain Rules"`, chromedp.Click(chromedp.CSS("#f-use-domain")))
	do(t, ctx, "wait for the override fields", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #f-unit")))
	href := run(t, ctx, `read the "Edit domain rules" link`, chromedp.Evaluate[string](
		`(Array.from(document.querySelectorAll("dialog#dialog a")).find(a => a.textContent.trim() === "Edit domain rules") || {}).getAttribute?.("href") || ""`))
	if href != settingsPath {
		t.Errorf(`"Edit domain rules" points at %q, want %q`, href, settingsPath)
	}
	do(t, ctx, "choose NONE", chromedp.SetValue(chromedp.CSS("#f-unit"), models.UnitNone))
	saveScreenshot(t, ctx, "expiry-03-app-none")
	load(t, ctx, "save NONE", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#save-settings")))
	requireContains(t, ctx, "the saved message", ".flash-success", "Client secret settings saved")
	requireAppPolicy(t, srv, d.ID, a.ID, models.ExpiryPolicy{Enabled: true, Unit: models.UnitNone})

	renewInBrowser(t, ctx, cs.ID, desc, tabPattern)
	requireText(t, ctx, "Expires after renewing under NONE", expiryRowSel(cs.ID)+" .secret-expires", "Never")
	requireText(t, ctx, "status after renewing under NONE", expiryRowSel(cs.ID)+" .secret-status", "Active")
	if got := storedSecret(t, srv, a.ID, desc); got.ExpiresAt != nil {
		t.Fatalf("renewed under NONE, the secret expires at %v, want never", got.ExpiresAt)
	}
	saveScreenshot(t, ctx, "expiry-04-never")

	// --- 4. Application: 1 HOURS; a renewal expires in about an hour. ------
	openSettingsDialog(t, ctx, "the settings dialog again")
	if run(t, ctx, "read the toggle again", chromedp.Evaluate[bool](`document.getElementById("f-use-domain").checked`)) {
		t.Fatal(`"Use Domain Rules" is ticked again after saving an override`)
	}
	do(t, ctx, "wait for the override fields", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #f-unit")))
	if got := run(t, ctx, "read the saved unit", chromedp.Value(chromedp.CSS("#f-unit"))); got != models.UnitNone {
		t.Errorf("the dialog shows unit %q, want the saved %s", got, models.UnitNone)
	}
	do(t, ctx, "choose 1 HOURS",
		chromedp.SetValue(chromedp.CSS("#f-unit"), models.UnitHours),
		chromedp.Clear(chromedp.CSS("#f-duration")),
		chromedp.SendKeys(chromedp.CSS("#f-duration"), "1"),
	)
	load(t, ctx, "save 1 HOURS", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#save-settings")))
	requireAppPolicy(t, srv, d.ID, a.ID, models.ExpiryPolicy{Enabled: true, Unit: models.UnitHours, Duration: 1})

	before = time.Now()
	renewInBrowser(t, ctx, cs.ID, desc, tabPattern)
	after = time.Now()
	row = readExpiry(t, ctx, cs.ID)
	requireExpiryNear(t, "the secret renewed under 1 HOURS", row, before.Add(time.Hour), after.Add(time.Hour), slack)
	requireHint(t, "the secret renewed under 1 HOURS", row, "in 59 minutes", "in 1 hour")
	requireText(t, ctx, "status within the hour", expiryRowSel(cs.ID)+" .secret-status", "Expiring soon")
	saveScreenshot(t, ctx, "expiry-05-one-hour")
	requireNoPageErrors(t, ctx, "the end of the flow")
}

// expiryRowSel selects a secret's row.
func expiryRowSel(id string) string { return `#secrets-table tr[data-secret-id="` + id + `"]` }

// expiryCell is a secret's Expires cell as the browser shows it.
type expiryCell struct {
	DateTime string `json:"datetime"`
	Hint     string `json:"hint"`
	Text     string `json:"text"`
}

// readExpiry reads the <time datetime> and the relative hint of a row.
func readExpiry(t *testing.T, ctx context.Context, id string) expiryCell {
	t.Helper()
	return run(t, ctx, "read the Expires cell", chromedp.Evaluate[expiryCell](`(() => {
		const cell = document.querySelector(`+jsString(expiryRowSel(id)+" .secret-expires")+`);
		if (!cell) return {datetime: "", hint: "", text: "(no cell)"};
		const time = cell.querySelector("time");
		const hint = cell.querySelector("time + span");
		return {
			datetime: time ? time.getAttribute("datetime") : "",
			hint: hint ? hint.innerText.trim() : "",
			text: cell.innerText.trim(),
		};
	})()`))
}

// requireExpiryNear fails unless the cell's datetime lies between from and
// to, give or take slack.
func requireExpiryNear(t *testing.T, what string, c expiryCell, from, to time.Time, slack time.Duration) {
	t.Helper()
	got, err := time.Parse(time.RFC3339, c.DateTime)
	if err != nil {
		t.Fatalf("%s: the Expires cell %q has no RFC 3339 datetime: %v", what, c.Text, err)
	}
	if got.Before(from.Add(-slack)) || got.After(to.Add(slack)) {
		t.Fatalf("%s expires at %s, want between %s and %s (±%s)", what, got.Format(time.RFC3339),
			from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), slack)
	}
}

// requireHint fails unless the relative hint is one of want.
func requireHint(t *testing.T, what string, c expiryCell, want ...string) {
	t.Helper()
	for _, w := range want {
		if c.Hint == w {
			return
		}
	}
	t.Fatalf("%s: the relative hint is %q, want one of %q", what, c.Hint, want)
}

// openSettingsDialog opens the application's "Client Secrets Settings"
// dialog from the tab.
func openSettingsDialog(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	do(t, ctx, step+": click Settings", chromedp.Click(chromedp.Search(`//main//a[normalize-space()="Settings"]`)))
	requireModalDialog(t, ctx, step, "Client Secrets Settings")
}

// renewInBrowser renews a secret through its dialogs and returns to the tab.
func renewInBrowser(t *testing.T, ctx context.Context, id, desc, tabPattern string) {
	t.Helper()
	do(t, ctx, "click Renew", chromedp.Click(chromedp.CSS(expiryRowSel(id)+` [data-action=renew]`)))
	requireModalDialog(t, ctx, "the renew dialog", "Renew “"+desc+"”?")
	do(t, ctx, "confirm the renewal", chromedp.Click(chromedp.CSS("#confirm-renew")))
	do(t, ctx, "wait for the new value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
	closeReveal(t, ctx, "close the renewed value", tabPattern)
}

// closeReveal confirms "I have stored it" and closes the reveal dialog.
func closeReveal(t *testing.T, ctx context.Context, step, tabPattern string) {
	t.Helper()
	// Interact only once app.js has made the swapped-in dialog modal.
	waitFor(t, ctx, step+": wait for the modal reveal", `(() => {
		const d = document.querySelector("dialog#dialog");
		return d !== null && d.matches(":modal") && d.querySelector("#secret-ok") !== null;
	})()`)
	do(t, ctx, step+`: tick "I have stored it"`, chromedp.Click(chromedp.CSS("#secret-stored")))
	do(t, ctx, step+": wait for OK", chromedp.WaitEnabled(chromedp.CSS("#secret-ok")))
	load(t, ctx, step, http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#secret-ok")))
}

// requireAppPolicy checks an application's stored override.
func requireAppPolicy(t *testing.T, srv *server, domainID, appID string, want models.ExpiryPolicy) {
	t.Helper()
	app, err := srv.Store.ApplicationByID(t.Context(), domainID, appID)
	if err != nil {
		t.Fatalf("ApplicationByID: %v", err)
	}
	if got := app.SecretPolicy(); got != want {
		t.Fatalf("stored application override = %+v, want %+v", got, want)
	}
}
