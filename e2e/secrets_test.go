package e2e

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"latchkey/models"
)

// TestSecretsFlow manages an application's client secrets in a real browser,
// on the Secrets & Certificates tab: it creates a secret through the htmx
// dialogs, copies its one-time value (OK stays disabled until then), finds it
// in the table with "Never" as last used, renews it (OK enabled by "I have
// stored it" this time), deletes it after typing its description (the button
// stays disabled for a wrong one, and the server refuses one too), sees that
// the last secret offers no delete, and opens a dialog by its own URL, as a
// page. What the browser did is checked in the database; every step must run
// without a CSP violation or a script error.
func TestSecretsFlow(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)

	const (
		password = "correct-horse-battery-9"
		desc     = "production"
		wrong    = "pro" // a prefix of desc: it must not be enough
	)

	// --- Arrange: an administrator, a domain, an application. -------------
	admin, err := srv.Store.CreateUser(t.Context(), models.Actor{}, models.NewUser{
		Email: "katherine@example.com", Name: "Katherine Johnson", Password: password, Role: models.RoleAdmin,
	})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{
		Name: "Payments Team", Enabled: true, OwnerIDs: []string{admin.ID},
	})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, first, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{
		Name: "Billing API", Type: models.AppTypeService, OwnerID: admin.ID,
	})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	appPath := "/domains/" + d.ID + "/applications/" + a.ID
	tabPath := appPath + "/secrets"
	tabPattern := regexp.QuoteMeta(tabPath)

	// --- Log in and open the Secrets & Certificates tab. -------------------
	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), admin.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	)
	load(t, ctx, "log in", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	load(t, ctx, "open the application", http.StatusOK, regexp.QuoteMeta(appPath), chromedp.Navigate(srv.URL(appPath)))
	load(t, ctx, "open the Secrets & Certificates tab", http.StatusOK, tabPattern,
		chromedp.Click(chromedp.Search(`//main//nav//a[normalize-space()="Secrets & Certificates"]`)))
	requireText(t, ctx, "application heading", "main h1", a.Name)
	requireScriptsLoaded(t, ctx, "secrets tab")
	requireText(t, ctx, "count of the first secret", "#secret-count", "1 of 10 secrets")
	if rows := secretRows(t, ctx); len(rows) != 1 || rows[0].ID != first.ID || rows[0].Description != models.DefaultSecretName {
		t.Fatalf("secrets table = %+v, want only %q (%s)", rows, models.DefaultSecretName, first.ID)
	}

	// --- 1. Create a secret: describe it, copy the value once, OK. --------
	do(t, ctx, `click "+ New client secret"`, chromedp.Click(chromedp.CSS("#new-secret")))
	requireModalDialog(t, ctx, "the new-secret dialog", "New client secret")
	if got := location(t, ctx); got != tabPath {
		t.Errorf("the new-secret dialog (htmx) moved the page to %s, want it to stay on %s", got, tabPath)
	}
	// Cancel closes a dialog htmx swapped in where it is, without a reload.
	do(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.latchkeyTestMark = true`))
	do(t, ctx, "cancel the new-secret dialog",
		chromedp.Click(chromedp.Search(`//dialog[@id="dialog"]//a[normalize-space()="Cancel"]`)))
	waitFor(t, ctx, "wait for the dialog to close", `!document.querySelector("dialog#dialog").open`)
	if !run(t, ctx, "read the mark", chromedp.Evaluate[bool](`window.latchkeyTestMark === true`)) || location(t, ctx) != tabPath {
		t.Fatal("Cancel in the htmx dialog reloaded the page or left the tab; want it closed in place")
	}
	do(t, ctx, `click "+ New client secret" again`, chromedp.Click(chromedp.CSS("#new-secret")))
	requireModalDialog(t, ctx, "the new-secret dialog, again", "New client secret")
	do(t, ctx, "type the description", chromedp.SendKeys(chromedp.CSS("#f-description"), desc))
	do(t, ctx, "create the secret", chromedp.Click(chromedp.CSS("#create-secret")))
	do(t, ctx, "wait for the value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
	requireModalDialog(t, ctx, "the reveal dialog", "Client secret created")
	requireContains(t, ctx, "the reveal dialog names the secret", "dialog#dialog", "Value of “"+desc+"”")
	requireContains(t, ctx, "the one-time warning", "dialog#dialog", "It will not be shown again")
	value := run(t, ctx, "read the secret value", chromedp.Value(chromedp.CSS("#secret-value")))
	if !models.LooksLikeSecret(value) {
		t.Fatalf("the revealed value %q does not look like a Latchkey secret", value)
	}
	if !isDisabled(t, ctx, "#secret-ok") {
		t.Fatal("OK is enabled before the value was copied or stored")
	}
	writeClipboard(t, ctx, "stale clipboard")
	do(t, ctx, "copy the value", chromedp.Click(chromedp.CSS("#copy-secret")))
	do(t, ctx, "wait for OK to be enabled", chromedp.WaitEnabled(chromedp.CSS("#secret-ok")))
	if got := readClipboard(t, ctx); got != value {
		t.Fatalf("the clipboard holds %q after Copy, want the value %q", got, value)
	}
	requireText(t, ctx, "the copy button after copying", "#copy-secret", "Copied")
	if run(t, ctx, "read the checkbox", chromedp.Evaluate[bool](`document.querySelector("#secret-stored").checked`)) {
		t.Error(`"I have stored it" is ticked by copying; want it left to the user`)
	}
	requireNoPageErrors(t, ctx, "copy the value")
	saveScreenshot(t, ctx, "secrets-01-reveal-dialog")

	created := storedSecret(t, srv, a.ID, desc)
	if got, want := created.Digest, models.SecretDigest(value); got != want {
		t.Fatalf("stored digest %s, want SHA-256 of the revealed value %s", got, want)
	}
	if created.LastUsedAt != nil {
		t.Fatalf("the new secret was used at %v, want never", created.LastUsedAt)
	}

	load(t, ctx, "close the reveal dialog with OK", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#secret-ok")))
	requireAbsent(t, ctx, "the reveal dialog after OK", "dialog#dialog")
	requireAbsent(t, ctx, "the value after OK", "#secret-value")
	requireText(t, ctx, "count after creating", "#secret-count", "2 of 10 secrets")
	rows := secretRows(t, ctx)
	row, ok := findRow(rows, created.ID)
	if !ok {
		t.Fatalf("secrets table = %+v, want a row for %q (%s)", rows, desc, created.ID)
	}
	want := secretRow{
		ID: created.ID, Description: desc, Hint: "…" + value[len(value)-4:],
		Expires: "Never", LastUsed: "Never", CanRenew: true, CanDelete: true,
	}
	if row != want {
		t.Fatalf("row of the new secret = %+v, want %+v", row, want)
	}
	if len(rows) != 2 || rows[0].ID != first.ID || !rows[0].CanDelete {
		t.Fatalf("secrets table = %+v, want %q then %q, both deletable", rows, models.DefaultSecretName, desc)
	}
	saveScreenshot(t, ctx, "secrets-02-table")

	// --- 2. Renew it: confirm, then the new value once ("I have stored it").
	rowSel := `#secrets-table tr[data-secret-id="` + created.ID + `"]`
	do(t, ctx, "click Renew on the new secret", chromedp.Click(chromedp.CSS(rowSel+` [data-action=renew]`)))
	requireModalDialog(t, ctx, "the renew dialog", "Renew “"+desc+"”?")
	requireContains(t, ctx, "the renew warning", "dialog#dialog", "The current value stops working at once")
	if got := storedSecret(t, srv, a.ID, desc); got.Digest != created.Digest {
		t.Fatal("opening the renew dialog changed the secret")
	}
	do(t, ctx, "confirm the renewal", chromedp.Click(chromedp.CSS("#confirm-renew")))
	do(t, ctx, "wait for the new value", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
	requireModalDialog(t, ctx, "the reveal dialog after renewing", "Client secret renewed")
	renewedValue := run(t, ctx, "read the new value", chromedp.Value(chromedp.CSS("#secret-value")))
	if renewedValue == value {
		t.Fatal("renewing revealed the old value again")
	}
	if !models.LooksLikeSecret(renewedValue) {
		t.Fatalf("the renewed value %q does not look like a Latchkey secret", renewedValue)
	}
	if !isDisabled(t, ctx, "#secret-ok") {
		t.Fatal("OK is enabled after renewing, before the value was copied or stored")
	}
	do(t, ctx, `tick "I have stored it"`, chromedp.Click(chromedp.CSS("#secret-stored")))
	do(t, ctx, "wait for OK to be enabled by the checkbox", chromedp.WaitEnabled(chromedp.CSS("#secret-ok")))
	do(t, ctx, `untick "I have stored it"`, chromedp.Click(chromedp.CSS("#secret-stored")))
	if !isDisabled(t, ctx, "#secret-ok") {
		t.Fatal(`OK stays enabled after "I have stored it" was unticked (nothing was copied)`)
	}
	do(t, ctx, `tick "I have stored it" again`, chromedp.Click(chromedp.CSS("#secret-stored")))
	do(t, ctx, "wait for OK to be enabled again", chromedp.WaitEnabled(chromedp.CSS("#secret-ok")))
	requireNoPageErrors(t, ctx, "renew the secret")
	saveScreenshot(t, ctx, "secrets-03-renewed")

	renewed := storedSecret(t, srv, a.ID, desc)
	if renewed.ID != created.ID {
		t.Errorf("renewing changed the id from %s to %s", created.ID, renewed.ID)
	}
	if renewed.Digest != models.SecretDigest(renewedValue) {
		t.Errorf("stored digest after renewing %s, want SHA-256 of the new value", renewed.Digest)
	}
	if renewed.Digest == created.Digest {
		t.Error("renewing kept the old digest")
	}
	if renewed.RenewedAt == nil {
		t.Error("renewing did not set RenewedAt")
	}

	load(t, ctx, "close the renewed value with OK", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#secret-ok")))
	requireText(t, ctx, "count after renewing", "#secret-count", "2 of 10 secrets")
	if row, ok := findRow(secretRows(t, ctx), created.ID); !ok || row.Hint != "…"+renewedValue[len(renewedValue)-4:] || row.LastUsed != "Never" {
		t.Fatalf("row after renewing = %+v (found %v), want the new hint and Last used \"Never\"", row, ok)
	}

	// --- 3. Delete it: only its exact description enables the button. -----
	do(t, ctx, "click Delete on the new secret", chromedp.Click(chromedp.CSS(rowSel+` [data-action=delete]`)))
	requireModalDialog(t, ctx, "the delete dialog", "Delete “"+desc+"”?")
	if !isDisabled(t, ctx, "#confirm-delete") {
		t.Fatal("Delete is enabled before anything was typed")
	}
	do(t, ctx, "type a prefix of the description", chromedp.SendKeys(chromedp.CSS("#f-confirm"), wrong))
	if !isDisabled(t, ctx, "#confirm-delete") {
		t.Fatalf("Delete is enabled after typing %q, want it disabled until %q", wrong, desc)
	}
	saveScreenshot(t, ctx, "secrets-04-delete-wrong")

	// The server checks again: a forced submission of the prefix is refused
	// inside the dialog, and nothing is deleted.
	do(t, ctx, "force-submit the prefix",
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#confirm-delete").disabled = false`),
		chromedp.Click(chromedp.CSS("#confirm-delete")),
	)
	do(t, ctx, "wait for the error in the dialog", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #e-confirm")))
	// Chromium logs every 4xx response, the expected 422 included.
	expectPageError(t, ctx, "the refused deletion",
		regexp.MustCompile(`^browser log \(network\) \S+`+regexp.QuoteMeta(rowPath(tabPath, created.ID, "delete"))+
			`: Failed to load resource: the server responded with a status of 422 `))
	requireModalDialog(t, ctx, "the delete dialog with the error", "Delete “"+desc+"”?")
	requireContains(t, ctx, "the refusal next to the field", "#e-confirm", "exactly to confirm")
	if got := run(t, ctx, "read the confirmation kept", chromedp.Value(chromedp.CSS("#f-confirm"))); got != wrong {
		t.Errorf("the confirmation field holds %q after the refusal, want %q kept", got, wrong)
	}
	if !isDisabled(t, ctx, "#confirm-delete") {
		t.Error("Delete is enabled again after the server refused the prefix")
	}
	storedSecret(t, srv, a.ID, desc) // still there
	requireNoPageErrors(t, ctx, "server-side refusal")

	if got := run(t, ctx, "read the focus", chromedp.Evaluate[string](`document.activeElement.id`)); got != "f-confirm" {
		t.Errorf("focus is on %q after the refusal, want the confirmation field", got)
	}
	// The refilled field gets the focus with the caret at its start; go to
	// the end first, as a person would.
	do(t, ctx, "go to the end of the field", chromedp.SendKeys(chromedp.CSS("#f-confirm"), kb.End))
	do(t, ctx, "type the rest and a trailing space",
		chromedp.SendKeys(chromedp.CSS("#f-confirm"), desc[len(wrong):]+" "))
	if !isDisabled(t, ctx, "#confirm-delete") {
		t.Fatalf("Delete is enabled for %q (trailing space), want an exact match only", desc+" ")
	}
	do(t, ctx, "remove the trailing space", chromedp.SendKeys(chromedp.CSS("#f-confirm"), kb.Backspace))
	do(t, ctx, "wait for Delete to be enabled", chromedp.WaitEnabled(chromedp.CSS("#confirm-delete")))
	load(t, ctx, "delete the secret", http.StatusOK, tabPattern, chromedp.Click(chromedp.CSS("#confirm-delete")))
	requireAbsent(t, ctx, "the delete dialog after deleting", "dialog#dialog")
	requireText(t, ctx, "deleted message", ".flash-success", "Secret “"+desc+"” deleted. It no longer authenticates.")
	requireAbsent(t, ctx, "the deleted secret's row", rowSel)
	requireText(t, ctx, "count after deleting", "#secret-count", "1 of 10 secrets")
	if list, err := srv.Store.Secrets(t.Context(), a.ID); err != nil || len(list) != 1 || list[0].ID != first.ID {
		t.Fatalf("stored secrets after deleting = %+v (%v), want only %q", list, err, models.DefaultSecretName)
	}

	// --- 4. The last secret can be renewed but not deleted. ---------------
	rows = secretRows(t, ctx)
	if len(rows) != 1 || rows[0].ID != first.ID || !rows[0].CanRenew || rows[0].CanDelete {
		t.Fatalf("secrets table = %+v, want only %q, renewable and not deletable", rows, models.DefaultSecretName)
	}
	requireAbsent(t, ctx, "delete action of the last secret", `#secrets-table [data-action=delete]`)
	saveScreenshot(t, ctx, "secrets-05-last-secret")

	// --- 5. A dialog's own URL opens it over the table, as a page. --------
	load(t, ctx, "open the new-secret URL", http.StatusOK, tabPattern+`/new`, chromedp.Navigate(srv.URL(tabPath+"/new")))
	requireScriptsLoaded(t, ctx, "new-secret page")
	do(t, ctx, "wait for the dialog", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #f-description")))
	requireModalDialog(t, ctx, "the new-secret page", "New client secret")
	do(t, ctx, "the table is under the dialog", chromedp.WaitReady(chromedp.CSS(`#secrets-table tr[data-secret-id="`+first.ID+`"]`)))
	saveScreenshot(t, ctx, "secrets-06-new-as-page")
	load(t, ctx, "cancel the new-secret page", http.StatusOK, tabPattern,
		chromedp.Click(chromedp.Search(`//dialog[@id="dialog"]//a[normalize-space()="Cancel"]`)))
	requireAbsent(t, ctx, "the dialog after Cancel", "dialog#dialog")
	requireText(t, ctx, "count after cancelling", "#secret-count", "1 of 10 secrets")
	if list, err := srv.Store.Secrets(t.Context(), a.ID); err != nil || len(list) != 1 {
		t.Fatalf("stored secrets after cancelling = %d (%v), want 1", len(list), err)
	}
}

// secretRow is one row of #secrets-table as the browser shows it.
type secretRow struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Hint        string `json:"hint"`
	Expires     string `json:"expires"`
	LastUsed    string `json:"lastUsed"`
	CanRenew    bool   `json:"canRenew"`
	CanDelete   bool   `json:"canDelete"`
}

// secretRows reads the rows of the secrets table.
func secretRows(t *testing.T, ctx context.Context) []secretRow {
	t.Helper()
	return run(t, ctx, "read the secrets table", chromedp.Evaluate[[]secretRow](`
		Array.from(document.querySelectorAll("#secrets-table tr[data-secret-id]")).map(tr => {
			const text = sel => (tr.querySelector(sel) || {innerText: "(missing)"}).innerText.trim();
			return {
				id: tr.dataset.secretId,
				description: text(".secret-description"),
				hint: text(".secret-description + span"),
				expires: text(".secret-expires"),
				lastUsed: text(".secret-last-used"),
				canRenew: tr.querySelector("[data-action=renew]") !== null,
				canDelete: tr.querySelector("[data-action=delete]") !== null,
			};
		})`))
}

func findRow(rows []secretRow, id string) (secretRow, bool) {
	for _, r := range rows {
		if r.ID == id {
			return r, true
		}
	}
	return secretRow{}, false
}

// storedSecret returns the application's secret with the given description,
// as the database holds it.
func storedSecret(t *testing.T, srv *server, appID, description string) models.ClientSecret {
	t.Helper()
	list, err := srv.Store.Secrets(t.Context(), appID)
	if err != nil {
		t.Fatalf("list secrets: %v", err)
	}
	for _, cs := range list {
		if cs.Description == description {
			return cs
		}
	}
	t.Fatalf("no stored secret %q among %d", description, len(list))
	return models.ClientSecret{}
}

// requireModalDialog waits until the page shows #dialog as a modal dialog
// (opened by showModal, with the rest of the page inert) titled title.
func requireModalDialog(t *testing.T, ctx context.Context, step, title string) {
	t.Helper()
	waitFor(t, ctx, step+": wait for the modal dialog", `(() => {
		const d = document.querySelector("dialog#dialog");
		return d !== null && d.open && d.matches(":modal") && d.getBoundingClientRect().height > 0;
	})()`)
	requireText(t, ctx, step+": title", "dialog#dialog #dialog-title", title)
	requireNoPageErrors(t, ctx, step)
}

// isDisabled reports whether the element matching selector is disabled.
func isDisabled(t *testing.T, ctx context.Context, selector string) bool {
	t.Helper()
	return run(t, ctx, "read whether "+selector+" is disabled",
		chromedp.Evaluate[bool](`document.querySelector(`+jsString(selector)+`).disabled`))
}

// rowPath is the path of one secret's action.
func rowPath(tabPath, id, action string) string { return tabPath + "/" + id + "/" + action }

// expectPageError waits until the tab reports a page error matching want,
// and fails the test if it reports any other.
func expectPageError(t *testing.T, ctx context.Context, step string, want *regexp.Regexp) {
	t.Helper()
	errs := ctx.Value(pageErrorsKey{}).(*pageErrors)
	deadline := time.Now().Add(stepTimeout)
	var seen []string
	found := false
	for !found && time.Now().Before(deadline) {
		for _, msg := range errs.take() {
			if !found && want.MatchString(msg) {
				found = true
				continue
			}
			seen = append(seen, msg)
		}
		if !found {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(seen) > 0 {
		t.Fatalf("%s: the page reported errors:\n  %s", step, strings.Join(seen, "\n  "))
	}
	if !found {
		t.Fatalf("%s: the page reported no error matching %s", step, want)
	}
}

// location returns the page's path.
func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, "read the location", chromedp.Evaluate[string](`location.pathname`))
}
