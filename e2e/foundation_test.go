package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// Path patterns, matched against the whole location.pathname.
const (
	idPattern     = `[0-9a-f-]{36}`
	domainPattern = `/domains/` + idPattern
	appPattern    = domainPattern + `/applications/` + idPattern
)

// TestFoundationFlow walks the first minutes of a new installation in a real
// browser: the setup link creates the first administrator, who logs out, logs
// in again, creates a domain and an application in it, and finds the
// application listed on the domain page with its client ID. Every page must
// load without a CSP violation or a script error.
func TestFoundationFlow(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)

	const (
		adminName     = "Ada Lovelace"
		adminEmail    = "ada@example.com"
		adminPassword = "analytical-engine-1843"
		domainName    = "Payments Team"
		domainHRID    = "payments-team" // derived from the name
		appName       = "Billing API"
	)

	// --- The one-time setup link creates the first administrator. ---------
	load(t, ctx, "open the setup link", http.StatusOK, `/setup`, chromedp.Navigate(srv.SetupURL(t)))
	requireText(t, ctx, "setup page heading", "main h1", "Welcome to Latchkey")
	requireScriptsLoaded(t, ctx, "setup page")
	saveScreenshot(t, ctx, "01-setup")
	do(t, ctx, "fill in the setup form",
		chromedp.SendKeys(chromedp.CSS("#f-name"), adminName),
		chromedp.SendKeys(chromedp.CSS("#f-email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#f-password"), adminPassword),
		chromedp.SendKeys(chromedp.CSS("#f-confirm"), adminPassword),
	)
	load(t, ctx, "create the administrator", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type=submit]`)))
	requireText(t, ctx, "domains heading", "main h1", "Domains")
	requireText(t, ctx, "welcome message", ".flash-success", "Welcome! Your administrator account is ready.")
	requireContains(t, ctx, "signed-in user in the header", "header", adminName)
	requireScriptsLoaded(t, ctx, "domains page")

	// --- Log out: the session is gone. ------------------------------------
	load(t, ctx, "log out", http.StatusOK, `/login`,
		chromedp.Click(chromedp.Search(`(//header//button[normalize-space()="Log out"])[1]`)))
	requireText(t, ctx, "login heading", "main h1", "Sign in to Latchkey")
	requireAbsent(t, ctx, "log-out button after logging out", `form[action="/logout"]`)
	// A page that needs a session sends the visitor back to the login page.
	load(t, ctx, "open the domains while logged out", http.StatusOK, `/login`,
		chromedp.Navigate(srv.URL("/domains")))

	// --- Log in with the new account. --------------------------------------
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#f-password"), adminPassword),
	)
	load(t, ctx, "log in", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	requireText(t, ctx, "domains heading after login", "main h1", "Domains")
	requireContains(t, ctx, "signed-in user in the header after login", "header", adminName)

	// --- Create a domain; its hrid is derived from the name. -------------
	load(t, ctx, `click "+ New domain"`, http.StatusOK, `/domains/new`,
		chromedp.Click(chromedp.Search(`//main//a[normalize-space()="+ New domain"]`)))
	requireText(t, ctx, "new domain heading", "main h1", "New domain")
	do(t, ctx, "fill in the domain form", chromedp.SendKeys(chromedp.CSS("#f-name"), domainName))
	if hrid := run(t, ctx, "read the hrid field", chromedp.Value(chromedp.CSS("#f-hrid"))); hrid != "" {
		t.Fatalf("the hrid field starts as %q, want it empty", hrid)
	}
	domainPath := load(t, ctx, "create the domain", http.StatusOK, domainPattern,
		chromedp.Click(chromedp.CSS(`form[action="/domains"] button[type=submit]`)))
	domainID := strings.TrimPrefix(domainPath, "/domains/")
	requireText(t, ctx, "domain heading", "main h1", domainName)
	requireText(t, ctx, "domain created message", ".flash-success", "Domain “"+domainName+"” created.")
	requireContains(t, ctx, "derived hrid on the domain page", "main", domainHRID)
	requireText(t, ctx, "empty application list", "main .empty-state p", "No applications in this domain yet.")
	saveScreenshot(t, ctx, "02-domain-empty")

	// --- Create a service application in it. -------------------------------
	load(t, ctx, `click "+ New application"`, http.StatusOK, regexp.QuoteMeta(domainPath)+`/applications/new`,
		chromedp.Click(chromedp.Search(`//main//a[normalize-space()="+ New application"]`)))
	requireText(t, ctx, "new application heading", "main h1", "New application")
	do(t, ctx, "fill in the application form",
		chromedp.SendKeys(chromedp.CSS("#f-name"), appName),
		chromedp.Click(chromedp.CSS("#type-service")),
	)
	if !run(t, ctx, "read the type", chromedp.Evaluate[bool](`document.querySelector("#type-service").checked`)) {
		t.Fatal("the Service type is not selected after clicking it")
	}
	// The answer is the Secrets & Certificates tab with the first secret's
	// value shown once, in a dialog, so it comes straight from the POST.
	load(t, ctx, "create the application", http.StatusCreated, regexp.QuoteMeta(domainPath)+`/applications`,
		chromedp.Click(chromedp.CSS(`main form button[type=submit]`)))
	requireText(t, ctx, "application heading", "main h1", appName)
	clientID := run(t, ctx, "read the client ID next to the new secret", chromedp.Value(chromedp.CSS("#client-id")))
	if !regexp.MustCompile(`^\S{8,}$`).MatchString(clientID) {
		t.Fatalf("client ID %q: want a non-empty identifier without spaces", clientID)
	}

	// The dialog's OK stays disabled until the value is copied (or "I have
	// stored it" is ticked); copying puts the value on the clipboard.
	do(t, ctx, "wait for the secret dialog", chromedp.WaitVisible(chromedp.CSS("dialog#dialog #secret-value")))
	saveScreenshot(t, ctx, "03-secret-dialog-before-copy")
	secret := run(t, ctx, "read the secret value", chromedp.Value(chromedp.CSS("#secret-value")))
	if secret == "" {
		t.Fatal("the new secret's value is empty")
	}
	if run(t, ctx, "read OK before copying", chromedp.Evaluate[bool](`document.querySelector("#secret-ok").disabled`)) == false {
		t.Error("OK is enabled before the secret was copied")
	}
	writeClipboard(t, ctx, "stale clipboard")
	do(t, ctx, "copy the secret", chromedp.Click(chromedp.CSS("#copy-secret")))
	do(t, ctx, "wait for OK to be enabled", chromedp.WaitEnabled(chromedp.CSS("#secret-ok")))
	if got := readClipboard(t, ctx); got != secret {
		t.Fatalf("clipboard after Copy holds %q, want the secret value", got)
	}
	requireText(t, ctx, "copy button after copying", "#copy-secret", "Copied")
	saveScreenshot(t, ctx, "03-secret-dialog")
	requireNoPageErrors(t, ctx, "copy the secret")
	appSecretsPath := load(t, ctx, "close the secret dialog", http.StatusOK, appPattern+`/secrets`,
		chromedp.Click(chromedp.CSS("#secret-ok")))
	appPath := strings.TrimSuffix(appSecretsPath, "/secrets")
	if !strings.HasPrefix(appPath, domainPath+"/applications/") {
		t.Fatalf("application %s is not under its domain %s", appPath, domainPath)
	}
	requireAbsent(t, ctx, "secret dialog after OK", "dialog#dialog")
	if got := run(t, ctx, "read the client ID on the secrets tab", chromedp.Value(chromedp.CSS("#client-id"))); got != clientID {
		t.Fatalf("client ID on the secrets tab is %q, want %q", got, clientID)
	}

	// --- The application page (Overview) shows the same client ID. --------
	load(t, ctx, "open the Overview tab", http.StatusOK, regexp.QuoteMeta(appPath),
		chromedp.Click(chromedp.Search(`//main//nav//a[normalize-space()="Overview"]`)))
	requireText(t, ctx, "application heading on Overview", "main h1", appName)
	if got := run(t, ctx, "read the client ID on Overview", chromedp.Value(chromedp.CSS("#client-id"))); got != clientID {
		t.Fatalf("client ID on the Overview tab is %q, want %q", got, clientID)
	}
	writeClipboard(t, ctx, "stale clipboard")
	do(t, ctx, "copy the client ID", chromedp.Click(chromedp.CSS(`button[data-copy="client-id"]`)))
	if got := readClipboard(t, ctx); got != clientID {
		t.Fatalf("clipboard after copying the client ID holds %q, want %q", got, clientID)
	}
	requireNoPageErrors(t, ctx, "copy the client ID")
	saveScreenshot(t, ctx, "04-application-overview")

	// --- Back to the domain: the application is listed with its client ID.
	load(t, ctx, "follow the breadcrumb to the domain", http.StatusOK, regexp.QuoteMeta(domainPath),
		chromedp.Click(chromedp.CSS(`nav[aria-label="Breadcrumb"] a[href="`+domainPath+`"]`)))
	rows := run(t, ctx, "read the application list", chromedp.Evaluate[[]listedApp](`
		Array.from(document.querySelectorAll("#application-list tbody tr")).map(tr => {
			const td = tr.querySelectorAll("td");
			return {
				name: td[0].innerText.trim(),
				href: td[0].querySelector("a") ? td[0].querySelector("a").getAttribute("href") : "",
				type: td[1].innerText.trim(),
				clientId: td[2].innerText.trim(),
			};
		})`))
	saveScreenshot(t, ctx, "05-domain-with-application")
	want := listedApp{Name: appName, Href: appPath, Type: models.AppTypeService, ClientID: clientID}
	if len(rows) != 1 || rows[0] != want {
		t.Fatalf("#application-list rows = %+v, want exactly %+v", rows, want)
	}

	// --- What the browser did is in the database. -------------------------
	apps, err := srv.Store.Applications(t.Context(), domainID)
	if err != nil {
		t.Fatalf("list applications: %v", err)
	}
	if len(apps) != 1 {
		t.Fatalf("domain %s has %d applications in the database, want 1", domainID, len(apps))
	}
	a := apps[0]
	if a.Name != appName || a.Type != models.AppTypeService || a.ClientID != clientID {
		t.Errorf("stored application = {Name:%q Type:%q ClientID:%q}, want {%q %q %q}",
			a.Name, a.Type, a.ClientID, appName, models.AppTypeService, clientID)
	}
	if "/domains/"+a.DomainID+"/applications/"+a.ID != appPath {
		t.Errorf("stored application lives at /domains/%s/applications/%s, the browser showed %s", a.DomainID, a.ID, appPath)
	}
	d, err := srv.Store.DomainByID(t.Context(), domainID)
	if err != nil {
		t.Fatalf("load domain: %v", err)
	}
	if d.Name != domainName || d.HRID != domainHRID {
		t.Errorf("stored domain = {Name:%q HRID:%q}, want {%q %q}", d.Name, d.HRID, domainName, domainHRID)
	}
}

// listedApp is one row of the domain page's #application-list.
type listedApp struct {
	Name     string `json:"name"`
	Href     string `json:"href"`
	Type     string `json:"type"`
	ClientID string `json:"clientId"`
}
