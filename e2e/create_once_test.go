package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"latchkey/handlers"
	"latchkey/models"
)

// TestCreateApplicationSentAgain (issue 18, item 5): the create-application
// form sent again after it succeeded (a reload re-posts it, with the same
// one-time token) creates nothing and lands on the created application,
// saying its first secret was shown once, instead of "Another application
// in this domain already has this name". Both a replayed fetch and a real
// top-level re-post are tried.
func TestCreateApplicationSentAgain(t *testing.T) {
	f := newConsoleFixture(t, "Existing API")
	ctx := f.ctx
	domainPath := "/domains/" + f.domain.ID
	for _, w := range widths {
		setWidth(t, ctx, w)
		name := fmt.Sprintf("Invoices %d", w)
		f.open(t, domainPath+"/applications/new")
		do(t, ctx, "type the name", chromedp.SendKeys(chromedp.CSS("#f-name"), name))
		// Keep what the form sends, to send it again after the reveal.
		do(t, ctx, "remember the form", chromedp.Evaluate[chromedp.Void](`(() => {
			const form = document.querySelector("main form[method=post]");
			sessionStorage.setItem("replay", new URLSearchParams(new FormData(form)).toString());
			sessionStorage.setItem("replayAction", form.action);
		})()`))
		if run(t, ctx, "read the token", chromedp.Evaluate[string](`new URLSearchParams(sessionStorage.getItem("replay")).get("formToken") || ""`)) == "" {
			t.Fatal("the create form carries no one-time token")
		}
		load(t, ctx, "create the application", http.StatusCreated, regexp.QuoteMeta(domainPath)+"/applications",
			chromedp.Click(chromedp.CSS(`main form[method=post] button[type=submit]`)))
		requireModalDialog(t, ctx, "the first secret's reveal", "Client secret created")
		created := appsNamed(t, f, name)
		if len(created) != 1 {
			t.Fatalf("%d applications named %q after creating, want 1", len(created), name)
		}
		tab := appPathOf(f, created[0]) + "/secrets"

		// The same POST again, as a reload sends it.
		got := run(t, ctx, "replay the POST", chromedp.Evaluate[[]string](`fetch(sessionStorage.getItem("replayAction"), {
				method: "POST", body: new URLSearchParams(sessionStorage.getItem("replay")), redirect: "follow"})
			.then(r => r.text().then(body => [String(r.status), new URL(r.url).pathname, body]))`, chromedp.EvalAwaitPromise))
		if got[0] != "200" || got[1] != tab {
			t.Errorf("at %d px the replayed POST answered %s at %s, want 200 on %s", w, got[0], got[1], tab)
		}
		if regexp.MustCompile(`already has this name`).MatchString(got[2]) {
			t.Errorf("at %d px the replayed POST says the name is taken", w)
		}
		if !regexp.MustCompile(regexp.QuoteMeta("Its first secret was shown once; renew it if you did not store it.")).MatchString(got[2]) {
			t.Errorf("at %d px the replayed POST does not say the first secret was shown once", w)
		}

		// A real re-post of the top-level page: lands on the application.
		load(t, ctx, "re-post the form", http.StatusOK, regexp.QuoteMeta(tab), chromedp.Evaluate[chromedp.Void](`(() => {
			const form = document.createElement("form");
			form.method = "post";
			form.action = sessionStorage.getItem("replayAction");
			for (const [k, v] of new URLSearchParams(sessionStorage.getItem("replay"))) {
				const input = document.createElement("input");
				input.type = "hidden"; input.name = k; input.value = v;
				form.appendChild(input);
			}
			document.body.appendChild(form);
			form.submit();
		})()`))
		requireContains(t, ctx, "the flash", "main [role=status]", handlers.RepeatedCreateFlash(name))
		requireAbsent(t, ctx, "a name error", "#e-name")
		requireText(t, ctx, "the application", "main h1", name)
		requireFitsWidth(t, ctx, fmt.Sprintf("the application after the repeat at %d px", w))
		if n := len(appsNamed(t, f, name)); n != 1 {
			t.Fatalf("%d applications named %q after sending the form again, want 1", n, name)
		}
	}
}

// appsNamed lists the fixture domain's applications with that name.
func appsNamed(t *testing.T, f *consoleFixture, name string) []models.Application {
	t.Helper()
	all, err := f.srv.Store.Applications(t.Context(), f.domain.ID)
	if err != nil {
		t.Fatalf("Applications: %v", err)
	}
	var out []models.Application
	for _, a := range all {
		if a.Name == name {
			out = append(out, a)
		}
	}
	return out
}

// appPathOf is an application's console path.
func appPathOf(f *consoleFixture, a models.Application) string {
	return "/domains/" + f.domain.ID + "/applications/" + a.ID
}
