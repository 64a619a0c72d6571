package models

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"latchkey/internal/testdb"
)

func appNames(p *Paged[Application]) []string {
	out := []string{}
	for _, a := range p.Items {
		out = append(out, a.Name)
	}
	return out
}

// A domain's applications come by name whatever the case, a page at a
// time; the cursors lead forward and back, a search keeps the names that
// contain it (case ignored) and the client id it is, another domain's applications
// never show, and a cursor of a row that is gone starts over.
func TestApplicationsPage(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	d := newTestDomain(t, s, "Paged")
	owner := newTestUser(t, s, "owner@example.com")
	byName := map[string]*Application{}
	for _, n := range []string{"Charlie", "alpha", "Bravo", "delta", "Echo", "foxtrot", "Golf"} {
		a, _, err := s.CreateApplication(ctx, Actor{}, d.ID, ApplicationInput{Name: n, Type: AppTypeService, OwnerID: owner.ID})
		if err != nil {
			t.Fatal(err)
		}
		byName[n] = a
	}
	other, _ := newTestApp(t, s, "alpha in another domain")

	want := func(p *Paged[Application], names []string, prev, next string) {
		t.Helper()
		if got := appNames(p); !slices.Equal(got, names) {
			t.Fatalf("page = %v, want %v", got, names)
		}
		if p.Prev != prev || p.Next != next {
			t.Fatalf("cursors = %q, %q; want %q, %q", p.Prev, p.Next, prev, next)
		}
	}
	id := func(n string) string { return byName[n].ID }
	page := func(q string, req PageRequest) *Paged[Application] {
		t.Helper()
		req.Limit = 3
		p, err := s.ApplicationsPage(ctx, d.ID, q, req)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1 := page("", PageRequest{})
	want(p1, []string{"alpha", "Bravo", "Charlie"}, "", id("Charlie"))
	if p1.Items[0].DomainID != d.ID || p1.Items[0].Owner == nil || p1.Items[0].Owner.ID != owner.ID {
		t.Errorf("first = %+v", p1.Items[0])
	}
	p2 := page("", PageRequest{After: p1.Next})
	want(p2, []string{"delta", "Echo", "foxtrot"}, id("delta"), id("foxtrot"))
	p3 := page("", PageRequest{After: p2.Next})
	want(p3, []string{"Golf"}, id("Golf"), "")
	want(page("", PageRequest{Before: p3.Prev}), []string{"delta", "Echo", "foxtrot"}, id("delta"), id("foxtrot"))
	want(page("", PageRequest{Before: p2.Prev}), []string{"alpha", "Bravo", "Charlie"}, "", id("Charlie"))

	want(page("O", PageRequest{}), []string{"Bravo", "Echo", "foxtrot"}, "", id("foxtrot"))
	want(page("O", PageRequest{After: id("foxtrot")}), []string{"Golf"}, id("Golf"), "")
	want(page(" "+byName["Echo"].ClientID+" ", PageRequest{}), []string{"Echo"}, "", "")
	want(page(byName["Echo"].ClientID[4:12], PageRequest{}), []string{}, "", "")
	want(page("100%_", PageRequest{}), []string{}, "", "")
	// Nothing beyond the last row or before the first: an empty page (on
	// PostgreSQL the cursor's row is a subquery, and an empty page asks
	// whether the row exists).
	want(page("", PageRequest{After: id("Golf")}), []string{}, "", "")
	want(page("", PageRequest{Before: id("alpha")}), []string{}, "", "")

	if _, err := s.DeleteApplication(ctx, Actor{}, d.ID, id("Charlie")); err != nil {
		t.Fatal(err)
	}
	want(page("", PageRequest{After: id("Charlie")}), []string{"alpha", "Bravo", "delta"}, "", id("delta"))
	want(page("", PageRequest{After: other.ID}), []string{"alpha", "Bravo", "delta"}, "", id("delta"))
	if n, err := s.ApplicationCount(ctx, d.ID); err != nil || n != 6 {
		t.Errorf("count = %d, %v; want 6", n, err)
	}
}

// Users come by name, searched by name or e-mail.
func TestUsersPage(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	for _, e := range []string{"carol@example.com", "Alice@example.com", "bob@corp.example"} {
		newTestUser(t, s, e)
	}
	p, err := s.UsersPage(ctx, "", PageRequest{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range p.Items {
		got = append(got, u.Email)
	}
	if !slices.Equal(got, []string{"alice@example.com", "bob@corp.example"}) || p.Next == "" || p.Prev != "" {
		t.Fatalf("first page = %v (%q, %q)", got, p.Prev, p.Next)
	}
	if p, err = s.UsersPage(ctx, "", PageRequest{After: p.Next, Limit: 2}); err != nil || len(p.Items) != 1 || p.Items[0].Email != "carol@example.com" || p.Next != "" {
		t.Fatalf("second page = %+v, %v", p, err)
	}
	if p, err = s.UsersPage(ctx, "CORP", PageRequest{}); err != nil || len(p.Items) != 1 || p.Items[0].Email != "bob@corp.example" {
		t.Fatalf("search = %+v, %v", p, err)
	}
}

// Keyset pages of the audit log hold the same events in the same order as
// the numbered pages, ties of one instant included, forward and back, with
// the filter applied.
func TestAuditEventsPage(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, at := range []int{0, 1, 1, 1, 2, 3, 3, 4} {
		s.Now = func() time.Time { return base.Add(time.Duration(at) * time.Minute) }
		typ := EventLogin
		if i == 5 {
			typ = EventLoginFailed
		}
		if err := s.Record(ctx, AuditEvent{Type: typ, DomainID: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.AuditEvents(ctx, AuditFilter{PerPage: 100})
	if err != nil || len(all.Events) != 8 {
		t.Fatalf("all = %+v, %v", all, err)
	}
	var ids []string
	for i, e := range all.Events {
		ids = append(ids, e.ID)
		if i > 0 && e.CreatedAt.After(all.Events[i-1].CreatedAt) {
			t.Fatalf("not newest first: %+v", all.Events)
		}
	}
	var walked []string
	var pages []*Paged[AuditEvent]
	req := PageRequest{Limit: 3}
	for {
		p, err := s.AuditEventsPage(ctx, AuditFilter{DomainID: "d"}, req)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		for _, e := range p.Items {
			walked = append(walked, e.ID)
		}
		if p.Next == "" {
			break
		}
		req.After = p.Next
	}
	if !slices.Equal(walked, ids) || len(pages) != 3 {
		t.Fatalf("walked %v in %d pages, want %v", walked, len(pages), ids)
	}
	back, err := s.AuditEventsPage(ctx, AuditFilter{}, PageRequest{Before: pages[2].Prev, Limit: 3})
	if err != nil || back.Prev == "" || back.Next == "" || len(back.Items) != 3 || back.Items[0].ID != ids[3] {
		t.Fatalf("back = %+v, %v", back, err)
	}
	failed, err := s.AuditEventsPage(ctx, AuditFilter{Type: EventLoginFailed}, PageRequest{})
	if err != nil || len(failed.Items) != 1 || failed.Items[0].Type != EventLoginFailed || failed.Next != "" || failed.Prev != "" {
		t.Fatalf("filtered = %+v, %v", failed, err)
	}
}

// On PostgreSQL with pg_trgm at hand, migration 00111 gives the
// applications search its trigram index, and the search uses it once the
// table is big enough to make a scan dearer.
func TestApplicationNameTrigramIndex(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("PostgreSQL only")
	}
	s, _, _ := openTestStore(t)
	var n int64
	err := s.db.Raw(`SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()
AND tablename = 'applications' AND indexname = 'idx_applications_name_trgm'`).Scan(&n).Error
	if err != nil {
		t.Fatal(err)
	}
	var ext int64
	if err := s.db.Raw("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&ext).Error; err != nil {
		t.Fatal(err)
	}
	if ext == 0 {
		t.Skip("pg_trgm cannot be had on this server: the search stays a scan")
	}
	if n != 1 {
		t.Fatalf("idx_applications_name_trgm: %d indexes, want 1", n)
	}
	var plan []string
	err = s.db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
			return err
		}
		return tx.Raw(`EXPLAIN SELECT id FROM applications WHERE lower(applications.name) LIKE '%app 07342%' ESCAPE '\'`).Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "idx_applications_name_trgm") {
		t.Errorf("the search's plan does not use the trigram index:\n%s", strings.Join(plan, "\n"))
	}
}

// On SQLite a page after a cursor is an index range from the cursor on:
// the plan of the page's statement bounds the name's expression by it,
// rather than reading the domain's list from its start.
func TestKeysetPageRangesTheIndexOnSQLite(t *testing.T) {
	if testdb.Postgres() {
		t.Skip("SQLite's planner; on PostgreSQL the cursor is a subquery of the page's statement (TestApplicationsPage)")
	}
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	d := newTestDomain(t, s, "Planned")
	var cursor string
	for _, n := range []string{"a", "b", "c"} {
		a, _, err := s.CreateApplication(ctx, Actor{}, d.ID, ApplicationInput{Name: n, Type: AppTypeService})
		if err != nil {
			t.Fatal(err)
		}
		if n == "a" {
			cursor = a.ID
		}
	}
	var page struct {
		sql  string
		vars []any
	}
	seen := func(db *gorm.DB) {
		if db.Statement.Table == "applications" && strings.Contains(db.Statement.SQL.String(), "ORDER BY") {
			page.sql, page.vars = db.Statement.SQL.String(), slices.Clone(db.Statement.Vars)
		}
	}
	// The list reads its rows itself (Rows: GORM's row callbacks).
	if err := s.db.Callback().Row().After("gorm:row").Register("test:plan", seen); err != nil {
		t.Fatal(err)
	}
	got, err := s.ApplicationsPage(ctx, d.ID, "", PageRequest{After: cursor, Limit: 2})
	if err != nil || len(got.Items) != 2 || got.Items[0].Name != "b" {
		t.Fatalf("page after a: %v, %v", appNames(got), err)
	}
	if page.sql == "" {
		t.Fatal("the page's statement was not seen")
	}
	var plan []struct {
		ID, Parent, Notused int
		Detail              string
	}
	if err := s.db.Raw("EXPLAIN QUERY PLAN "+page.sql, page.vars...).Scan(&plan).Error; err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
	}
	if joined := strings.Join(details, "; "); !strings.Contains(joined, "idx_applications_domain_lname (domain_id=? AND <expr>>?)") {
		t.Fatalf("the page after a cursor is not an index range from it: %s\n%s", joined, page.sql)
	}
}

// The applications search finds its text as written: % and _ are
// characters, not wildcards, and case does not matter.
func TestApplicationsSearchIsLiteral(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	d := newTestDomain(t, s, "Literal")
	for _, n := range []string{"Sale 100%_off", "Sale 1000 off", "Sale 100x off", `Back\slash`} {
		if _, _, err := s.CreateApplication(ctx, Actor{}, d.ID, ApplicationInput{Name: n, Type: AppTypeService}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string][]string{
		"100%_":   {"Sale 100%_off"},
		"%":       {"Sale 100%_off"},
		"_":       {"Sale 100%_off"},
		"SALE 10": {"Sale 100%_off", "Sale 1000 off", "Sale 100x off"},
		`k\s`:     {`Back\slash`},
		"zz":      {},
	} {
		p, err := s.ApplicationsPage(ctx, d.ID, q, PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if got := appNames(p); !slices.Equal(got, want) {
			t.Errorf("search %q = %v, want %v", q, got, want)
		}
	}
}
