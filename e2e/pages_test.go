package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"latchkey/models"
)

// signIn creates an administrator in the database and signs them in through
// the login page, leaving the browser on /domains.
func signIn(t *testing.T, srv *server, ctx context.Context) *models.User {
	t.Helper()
	const password = "correct-horse-battery-9"
	u, err := srv.Store.BootstrapAdmin(t.Context(), models.NewUser{
		Email: "grace@example.com", Name: "Grace Hopper", Password: password,
	})
	if err != nil || u == nil {
		t.Fatalf("BootstrapAdmin = %v, %v", u, err)
	}
	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))
	do(t, ctx, "fill in the login form",
		chromedp.SendKeys(chromedp.CSS("#f-email"), u.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), password),
	)
	load(t, ctx, "log in", http.StatusOK, `/domains`,
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	return u
}

// TestConsolePagesLoadCleanly opens every console page an administrator can
// reach and checks that each loads its content-hashed scripts under the
// strict CSP (script-src 'self', style-src 'self') without a violation, an
// uncaught exception or a console error, and that htmx requests work there.
func TestConsolePagesLoadCleanly(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	admin := signIn(t, srv, ctx)

	d, err := srv.Store.CreateDomain(t.Context(), models.Actor{}, models.DomainInput{
		Name: "Payments Team", Description: "Cards and invoices", Enabled: true, OwnerIDs: []string{admin.ID},
	})
	if err != nil {
		t.Fatalf("CreateDomain: %v", err)
	}
	a, _, err := srv.Store.CreateApplication(t.Context(), models.Actor{}, d.ID, models.ApplicationInput{
		Name: "Billing Portal", Type: models.AppTypeWeb, OwnerID: admin.ID,
	})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	domain := "/domains/" + d.ID
	app := domain + "/applications/" + a.ID

	for _, p := range []struct{ path, heading string }{
		{"/domains", "Domains"},
		{"/domains/new", "New domain"},
		{domain, d.Name},
		{domain + "/edit", "Edit domain"},
		{domain + "/delete", ""},
		{domain + "/applications/new", "New application"},
		{app, a.Name},
		{app + "/edit", "Edit application"},
		{app + "/delete", ""},
		{app + "/secrets", a.Name},
		{"/audit", ""},
		{"/users", ""},
		{"/users/new", ""},
		{"/account", ""},
	} {
		load(t, ctx, "open "+p.path, http.StatusOK, p.path, chromedp.Navigate(srv.URL(p.path)))
		requireScriptsLoaded(t, ctx, p.path)
		if p.heading != "" {
			requireText(t, ctx, p.path+" heading", "main h1", p.heading)
		}
		requireNoPageErrors(t, ctx, "scripts of "+p.path)
	}

	// htmx: the domain search replaces #domain-list as you type, sending the
	// CSRF header from hx-headers, and pushes the query into the URL.
	load(t, ctx, "open the domains", http.StatusOK, `/domains`, chromedp.Navigate(srv.URL("/domains")))
	requireScriptsLoaded(t, ctx, "/domains")
	do(t, ctx, "search for a missing domain", chromedp.SendKeys(chromedp.CSS("#f-q"), "zzz"))
	waitFor(t, ctx, "wait for the empty search result",
		`(document.querySelector("#domain-list") || {innerText: ""}).innerText.includes("No domain matches")`)
	waitFor(t, ctx, "wait for the pushed URL", `location.search === "?q=zzz"`)
	do(t, ctx, "search for the domain",
		// Typing over the selection replaces the old query, as a person does.
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#f-q").select()`),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "pay"),
	)
	waitFor(t, ctx, "wait for the matching domain",
		`Array.from(document.querySelectorAll("#domain-list tbody tr")).some(tr => tr.innerText.includes("Payments Team"))`)
	waitFor(t, ctx, "wait for the new pushed URL", `location.search === "?q=pay"`)
	requireNoPageErrors(t, ctx, "htmx domain search")
}

// TestHarnessReportsPageErrors makes sure the page-error check is not
// vacuous: a CSP violation, an uncaught exception and a console.error on a
// real console page are all reported.
func TestHarnessReportsPageErrors(t *testing.T) {
	srv := startServer(t)
	ctx := newBrowser(t)
	load(t, ctx, "open the login page", http.StatusOK, `/login`, chromedp.Navigate(srv.URL("/login")))

	errs := ctx.Value(pageErrorsKey{}).(*pageErrors)
	for _, c := range []struct{ name, js, want string }{
		{"inline script", `const s = document.createElement("script"); s.textContent = "1"; document.body.append(s)`, "Content Security Policy"},
		{"inline style", `const st = document.createElement("style"); st.textContent = "body{}"; document.head.append(st)`, "Content Security Policy"},
		{"exception", `setTimeout(() => { throw new Error("boom from the page") })`, "boom from the page"},
		{"console.error", `console.error("logged by the page")`, "logged by the page"},
	} {
		do(t, ctx, c.name, chromedp.Evaluate[chromedp.Void](c.js))
		waitFor(t, ctx, c.name+": let the browser report", `new Promise(r => setTimeout(() => r(true), 100))`)
		msgs := errs.take()
		if len(msgs) == 0 || !strings.Contains(strings.Join(msgs, "\n"), c.want) {
			t.Errorf("%s: reported %q, want a message containing %q", c.name, msgs, c.want)
		}
	}
}
