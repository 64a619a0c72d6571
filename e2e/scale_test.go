package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"latchkey/internal/benchfixture"
	"latchkey/models"
)

// firstRow is a JavaScript expression: the first cell's text of a table's
// first visible row.
func firstRow(table string) string {
	return `(document.querySelector(` + jsString(table+` tbody tr:not([hidden]) td`) + `) || {}).innerText`
}

// setField sets a form control's value as a person would, with the event
// a person's change fires.
func setField(selector, value, event string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.querySelector(` + jsString(selector) + `);
		el.value = ` + jsString(value) + `;
		el.dispatchEvent(new Event(` + jsString(event) + `, {bubbles: true}));
	})()`)
}

// A domain of 10,000 applications: the page shows 50 and a Next control,
// pages forward and back with htmx (the URL follows, so Back works), and a
// search as one types finds one application by name, at 1280 and 390 px,
// never wider than the viewport.
func TestApplicationsAtScale(t *testing.T) {
	f := newConsoleFixture(t, "Billing")
	if err := benchfixture.LoadConsole(t.Context(), f.srv.Store, benchfixture.Console{DomainID: f.domain.ID, Apps: 10_000}); err != nil {
		t.Fatal(err)
	}
	page := "/domains/" + f.domain.ID
	for _, w := range widths {
		setWidth(t, f.ctx, w)
		f.open(t, page)
		step := strconv.FormatInt(w, 10) + " px"
		waitFor(t, f.ctx, step+": 50 applications and Next",
			`document.querySelectorAll("#application-list tbody tr").length === 50 && !!document.querySelector("#applications a[rel=next]")`)
		requireText(t, f.ctx, step+": the total", "#application-total", "(10,001)")
		requireFitsWidth(t, f.ctx, step+": first page")

		do(t, f.ctx, step+": Next", chromedp.Click(chromedp.CSS(`#applications a[rel=next]`)))
		waitFor(t, f.ctx, step+": the second page", firstRow("#application-list")+` === "App 00050" && location.search === "?after=`+benchfixture.AppID(49)+`"`)
		do(t, f.ctx, step+": Next again", chromedp.Click(chromedp.CSS(`#applications a[rel=next]`)))
		waitFor(t, f.ctx, step+": the third page", firstRow("#application-list")+` === "App 00100"`)
		do(t, f.ctx, step+": Previous", chromedp.Click(chromedp.CSS(`#applications a[rel=prev]`)))
		waitFor(t, f.ctx, step+": the second page again", firstRow("#application-list")+` === "App 00050" && location.search.startsWith("?before=")`)
		requireFitsWidth(t, f.ctx, step+": a later page")
		do(t, f.ctx, step+": Back", chromedp.Evaluate[chromedp.Void](`history.back()`))
		waitFor(t, f.ctx, step+": Back shows the third page", firstRow("#application-list")+` === "App 00100" && location.search.startsWith("?after=")`)

		f.open(t, page)
		do(t, f.ctx, step+": type a name", chromedp.SendKeys(chromedp.CSS("#f-app-q"), "app 07342"))
		waitFor(t, f.ctx, step+": one application found",
			`document.querySelectorAll("#application-list tbody tr").length === 1 && `+firstRow("#application-list")+` === "App 07342" && new URLSearchParams(location.search).get("q") === "app 07342"`)
		requireAbsent(t, f.ctx, step+": no pager", "#applications nav")
		do(t, f.ctx, step+": type more", chromedp.SendKeys(chromedp.CSS("#f-app-q"), "9"))
		waitFor(t, f.ctx, step+": nothing matches", `!!document.querySelector("#application-empty") && new URLSearchParams(location.search).get("q") === "app 073429"`)
		requireFitsWidth(t, f.ctx, step+": no match")
		requireNoPageErrors(t, f.ctx, step)
	}
}

// The Users page searches as one types.
func TestUsersSearch(t *testing.T) {
	f := newConsoleFixture(t, "Billing")
	if err := benchfixture.Load(t.Context(), f.srv.Store, benchfixture.Spec{Users: 120, Domains: 1}); err != nil {
		t.Fatal(err)
	}
	for _, w := range widths {
		setWidth(t, f.ctx, w)
		f.open(t, "/users")
		step := strconv.FormatInt(w, 10) + " px"
		waitFor(t, f.ctx, step+": 50 users and Next",
			`document.querySelectorAll("#user-list tbody tr").length === 50 && !!document.querySelector("#users a[rel=next]")`)
		requireFitsWidth(t, f.ctx, step+": users")
		do(t, f.ctx, step+": type an e-mail", chromedp.SendKeys(chromedp.CSS("#f-user-q"), "user42@"))
		waitFor(t, f.ctx, step+": one user found",
			`document.querySelectorAll("#user-list tbody tr").length === 1 && `+firstRow("#user-list")+` === "User 42"`)
		requireFitsWidth(t, f.ctx, step+": found")
		requireNoPageErrors(t, f.ctx, step)
	}
}

// The secrets table searches descriptions, filters by status and sorts by
// a column header (aria-sort says how), at 1280 and 390 px.
func TestSecretsTableSearchSortFilter(t *testing.T) {
	f := newConsoleFixture(t, "Billing")
	ctx := t.Context()
	now := time.Now()
	for desc, exp := range map[string]time.Time{
		"zulu":  now.Add(-time.Hour),
		"alpha": now.Add(3 * 24 * time.Hour),
		"Mike":  now.Add(200 * 24 * time.Hour),
	} {
		ns, err := f.srv.Store.CreateSecret(ctx, models.Actor{}, f.app.ID, desc)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.srv.Store.SetSecretExpiry(ctx, ns.ID, &exp); err != nil {
			t.Fatal(err)
		}
	}
	order := `Array.from(document.querySelectorAll("#secrets-table tbody tr:not([hidden]) .secret-description")).map(e => e.innerText).join(",")`
	for _, w := range widths {
		setWidth(t, f.ctx, w)
		f.openTab(t)
		step := strconv.FormatInt(w, 10) + " px"
		waitFor(t, f.ctx, step+": the toolbar shows", `!document.querySelector("#secrets-tools").hidden`)
		requireFitsWidth(t, f.ctx, step+": the tab")

		do(t, f.ctx, step+": search", chromedp.SendKeys(chromedp.CSS("#f-secret-q"), "ZU"))
		waitFor(t, f.ctx, step+": only zulu", order+` === "zulu"`)
		do(t, f.ctx, step+": search for nothing", chromedp.SendKeys(chromedp.CSS("#f-secret-q"), "x"))
		waitFor(t, f.ctx, step+": no match", order+` === "" && !document.querySelector("#secrets-no-match").hidden`)
		do(t, f.ctx, step+": clear the search", setField("#f-secret-q", "", "input"))
		waitFor(t, f.ctx, step+": all four", `document.querySelectorAll("#secrets-table tbody tr:not([hidden])").length === 4 && document.querySelector("#secrets-no-match").hidden`)

		for status, want := range map[string]string{"expired": "zulu", "expiring": "alpha", "active": ""} {
			do(t, f.ctx, step+": filter "+status, setField("#f-secret-status", status, "change"))
			if want != "" {
				waitFor(t, f.ctx, step+": only "+want, order+` === `+jsString(want))
			} else {
				waitFor(t, f.ctx, step+": the active ones", `["Default,Mike", "Mike,Default"].includes(`+order+`)`)
			}
		}
		do(t, f.ctx, step+": all statuses", setField("#f-secret-status", "", "change"))

		sortBy := func(col, want, sort string) {
			t.Helper()
			do(t, f.ctx, step+": sort by "+col, chromedp.Click(chromedp.CSS(`#secrets-table th[data-sort=`+jsString(col)+`] button`)))
			waitFor(t, f.ctx, step+": sorted by "+col+" "+sort, order+` === `+jsString(want)+
				` && document.querySelector(`+jsString(`#secrets-table th[data-sort="`+col+`"]`)+`).getAttribute("aria-sort") === `+jsString(sort)+
				` && document.querySelectorAll("#secrets-table th[aria-sort]").length === 1`)
		}
		sortBy("description", "alpha,Default,Mike,zulu", "ascending")
		sortBy("description", "zulu,Mike,Default,alpha", "descending")
		// Never expires sorts last.
		sortBy("expires", "zulu,alpha,Mike,Default", "ascending")
		sortBy("status-order", "zulu,alpha,Mike,Default", "ascending")
		requireFitsWidth(t, f.ctx, step+": sorted")
		requireNoPageErrors(t, f.ctx, step)
	}
}
