package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"latchkey/internal/benchfixture"
	"latchkey/models"
)

// rowTexts returns the first cell of each row of a table.
func rowTexts(r *response, selector string) []string {
	var out []string
	r.Doc.Find(selector + " tbody tr td:first-child").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

// A domain's applications come 50 to a page by name, with Next and
// Previous links that keep the search; a search by name or client id finds
// one application, one that matches nothing says so, and each page is a
// plain URL (bookmarkable, no JavaScript needed).
func TestApplicationsListPagesAndSearch(t *testing.T) {
	e := newEnv(t)
	c, _ := e.viewer()
	d := e.createDomain("Scale", "")
	if err := benchfixture.LoadConsole(e.ctx, e.store, benchfixture.Console{DomainID: d.ID, Apps: 120}); err != nil {
		t.Fatal(err)
	}
	path := "/domains/" + d.ID
	first := c.get(path).wantStatus(http.StatusOK)
	rows := rowTexts(first, "#application-list")
	if len(rows) != 50 || rows[0] != benchfixture.AppName(0) || rows[49] != benchfixture.AppName(49) {
		t.Fatalf("first page = %d rows %v", len(rows), rows)
	}
	if got := first.text("#application-total"); got != "(120)" {
		t.Errorf("total = %q", got)
	}
	if first.has(`#applications a[rel=prev]`) {
		t.Error("the first page links to a previous one")
	}
	next := first.attr(`#applications a[rel=next]`, "href")
	if next != path+"?after="+benchfixture.AppID(49) || first.attr(`#applications a[rel=next]`, "hx-push-url") != "true" {
		t.Fatalf("next link = %q", next)
	}
	second := c.get(next).wantStatus(http.StatusOK)
	if rows := rowTexts(second, "#application-list"); len(rows) != 50 || rows[0] != benchfixture.AppName(50) {
		t.Fatalf("second page = %v", rows)
	}
	third := c.get(second.attr(`#applications a[rel=next]`, "href")).wantStatus(http.StatusOK)
	if rows := rowTexts(third, "#application-list"); len(rows) != 20 || rows[19] != benchfixture.AppName(119) || third.has(`#applications a[rel=next]`) {
		t.Fatalf("last page = %v", rows)
	}
	back := c.get(second.attr(`#applications a[rel=prev]`, "href")).wantStatus(http.StatusOK)
	if rows := rowTexts(back, "#application-list"); len(rows) != 50 || rows[0] != benchfixture.AppName(0) || back.has(`#applications a[rel=prev]`) {
		t.Fatalf("back to the first page = %v", rows)
	}

	one := c.get(path + "?q=" + url.QueryEscape(strings.ToLower(benchfixture.AppName(77)))).wantStatus(http.StatusOK)
	if rows := rowTexts(one, "#application-list"); len(rows) != 1 || rows[0] != benchfixture.AppName(77) || one.has("#applications nav") {
		t.Fatalf("search by name = %v", rows)
	}
	if got := one.attr("#f-app-q", "value"); got != strings.ToLower(benchfixture.AppName(77)) {
		t.Errorf("search field = %q", got)
	}
	apps, err := e.store.ApplicationsPage(e.ctx, d.ID, benchfixture.AppName(5), models.PageRequest{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	byClient := c.get(path + "?q=" + apps.Items[0].ClientID).wantStatus(http.StatusOK)
	if rows := rowTexts(byClient, "#application-list"); len(rows) != 1 || rows[0] != benchfixture.AppName(5) {
		t.Fatalf("search by client id = %v", rows)
	}
	many := c.get(path + "?q=app+0").wantStatus(http.StatusOK)
	if next := many.attr(`#applications a[rel=next]`, "href"); next != path+"?after="+benchfixture.AppID(49)+"&q=app+0" {
		t.Errorf("a searched page's next link = %q", next)
	}
	none := c.get(path + "?q=nothing-like-this").wantStatus(http.StatusOK)
	if none.has("#application-list") || !strings.Contains(none.text("#application-empty"), "“nothing-like-this”") {
		t.Fatalf("no match: %q", none.text("#applications"))
	}
}

// The Users page pages and searches like the applications list.
func TestUsersListPagesAndSearch(t *testing.T) {
	e := newEnv(t)
	c, _ := e.admin()
	if err := benchfixture.Load(e.ctx, e.store, benchfixture.Spec{Users: 70, Domains: 1}); err != nil {
		t.Fatal(err)
	}
	first := c.get("/users").wantStatus(http.StatusOK)
	if rows := rowTexts(first, "#user-list"); len(rows) != 50 || rows[0] != "Ada Admin" {
		t.Fatalf("first page = %v", rows)
	}
	second := c.get(first.attr(`#users a[rel=next]`, "href")).wantStatus(http.StatusOK)
	if rows := rowTexts(second, "#user-list"); len(rows) != 21 || second.has(`#users a[rel=next]`) || !second.has(`#users a[rel=prev]`) {
		t.Fatalf("second page = %v", rows)
	}
	found := c.get("/users?q=USER5%40").wantStatus(http.StatusOK)
	if rows := rowTexts(found, "#user-list"); len(rows) != 1 || rows[0] != "User 5" {
		t.Fatalf("search by e-mail = %v", rows)
	}
	if rows := rowTexts(c.get("/users?q=user+6").wantStatus(http.StatusOK), "#user-list"); len(rows) != 11 {
		t.Fatalf("search by name = %v", rows)
	}
	if none := c.get("/users?q=zzz").wantStatus(http.StatusOK); !strings.Contains(none.text("#user-empty"), "“zzz”") {
		t.Fatalf("no match: %q", none.text("#users"))
	}
}

// The audit page pages by keyset: Older and Newer links with cursors, the
// filters kept.
func TestAuditPagesByKeyset(t *testing.T) {
	e := newEnv(t)
	c, _ := e.admin()
	d := e.createDomain("Scale", "")
	if err := benchfixture.LoadConsole(e.ctx, e.store, benchfixture.Console{DomainID: d.ID, Apps: 3, AuditEvents: 120}); err != nil {
		t.Fatal(err)
	}
	first := c.get("/audit?actor=fixture@example.com").wantStatus(http.StatusOK)
	if n := first.Doc.Find("#audit-table tbody tr").Length(); n != 50 || first.text("#audit-range") != "The 50 newest events" {
		t.Fatalf("first page: %d rows, %q", n, first.text("#audit-range"))
	}
	older := first.attr(`#audit-events a[rel=next]`, "href")
	if !strings.Contains(older, "after="+benchfixture.AuditEventID(48)) || !strings.Contains(older, "actor=fixture%40example.com") {
		t.Fatalf("older link = %q", older)
	}
	if first.has(`#audit-events a[rel=prev]`) || strings.TrimSpace(first.text(`#audit-events a[rel=next]`)) != "Older →" {
		t.Fatal("the newest page links to newer events")
	}
	second := c.get(older).wantStatus(http.StatusOK)
	if n := second.Doc.Find("#audit-table tbody tr").Length(); n != 50 || !strings.HasPrefix(second.text("#audit-range"), "50 events from ") {
		t.Fatalf("second page: %d rows, %q", n, second.text("#audit-range"))
	}
	third := c.get(second.attr(`#audit-events a[rel=next]`, "href")).wantStatus(http.StatusOK)
	if n := third.Doc.Find("#audit-table tbody tr").Length(); n != 20 || third.has(`#audit-events a[rel=next]`) {
		t.Fatalf("last page: %d rows", n)
	}
	newer := c.get(second.attr(`#audit-events a[rel=prev]`, "href")).wantStatus(http.StatusOK)
	if newer.text("#audit-range") != "The 50 newest events" {
		t.Fatalf("newer = %q", newer.text("#audit-range"))
	}
}

// The secrets table carries what static/tables.js sorts and filters by,
// and its toolbar is hidden until the script shows it: without JavaScript
// the table is complete and nothing on the page does nothing.
func TestSecretsTableSortKeys(t *testing.T) {
	e := newEnv(t)
	c, _ := e.viewer()
	d := e.createDomain("Acme", "")
	a := e.createApp(d.ID, "Billing")
	past := e.store.Now().Add(-time.Hour)
	gone, err := e.store.CreateSecret(e.ctx, models.Actor{}, a.ID, "Gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetSecretExpiry(e.ctx, gone.ID, &past); err != nil {
		t.Fatal(err)
	}
	r := c.get("/domains/" + d.ID + "/applications/" + a.ID + "/secrets").wantStatus(http.StatusOK)
	if !r.has("#secrets-tools[hidden] #f-secret-q") || !r.has(`script[src^="/static/tables."]`) {
		t.Fatal("no hidden toolbar or no script")
	}
	row := r.Doc.Find(`#secrets-table tr[data-secret-id="` + gone.ID + `"]`)
	if row.AttrOr("data-status", "") != "expired" || row.AttrOr("data-expires", "") != strconv.FormatInt(past.UnixMilli(), 10) ||
		row.AttrOr("data-search", "") != "gone" || row.AttrOr("data-last-used", "x") != "" {
		t.Errorf("row keys: %v", row.Nodes[0].Attr)
	}
	var sortable []string
	r.Doc.Find("#secrets-table th[data-sort]").Each(func(_ int, s *goquery.Selection) { sortable = append(sortable, s.Text()) })
	if strings.Join(sortable, ",") != "Description,Status,Expires,Last used" {
		t.Errorf("sortable columns = %v", sortable)
	}
}
