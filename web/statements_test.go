package web_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"latchkey/internal/testdb"
	"latchkey/models"
)

// countStatements counts the statements the store sends to the database
// from now on (every GORM processor: reads, raw reads, writes; the PostgreSQL
// server's log, log_min_duration_statement = 0, agrees).
func countStatements(t *testing.T, s *models.Store) *atomic.Int64 {
	t.Helper()
	n := &atomic.Int64{}
	count := func(db *gorm.DB) {
		// A subquery is built by a dry run of its own: not a statement.
		if !db.DryRun {
			n.Add(1)
		}
	}
	cb := s.DB().Callback()
	for name, err := range map[string]error{
		"query":  cb.Query().After("gorm:query").Register("test:count-query", count),
		"row":    cb.Row().After("gorm:row").Register("test:count-row", count),
		"raw":    cb.Raw().After("gorm:raw").Register("test:count-raw", count),
		"create": cb.Create().After("gorm:create").Register("test:count-create", count),
		"update": cb.Update().After("gorm:update").Register("test:count-update", count),
		"delete": cb.Delete().After("gorm:delete").Register("test:count-delete", count),
	} {
		if err != nil {
			t.Fatalf("register %s counter: %v", name, err)
		}
	}
	return n
}

// Each console page of issue 19 costs a fixed, small number of statements
// however many applications, secrets or events there are: on PostgreSQL
// each statement is a round trip, which is most of a page's time. The
// session, its user and the bell's count are one statement; a domain's
// owners one more, on the domain's page only; on PostgreSQL the
// applications list reads its cursor's row in the page's statement; the
// domain page's counts are one statement; the Secrets & Certificates tab
// reads each credential once.
func TestConsolePagesStatementCount(t *testing.T) {
	e := newEnv(t)
	c, _ := e.admin()
	d := e.createDomain("Counted", "")
	var apps []*models.Application
	for i := range 4 {
		apps = append(apps, e.createApp(d.ID, fmt.Sprintf("App %d", i)))
	}
	pg := testdb.Postgres()
	// per dialect: SQLite, PostgreSQL
	at := func(sqlite, postgres int64) int64 {
		if pg {
			return postgres
		}
		return sqlite
	}
	base := "/domains/" + d.ID
	pages := []struct {
		path string
		max  int64
	}{
		// session; domain; owners; page with its owners; counts; the
		// expiring list (the last four at once). Before: 8.
		{base, at(6, 6)},
		// + the cursor's row on SQLite. Before: 9.
		{base + "?after=" + apps[1].ID, at(7, 6)},
		{base + "?q=app+2", at(6, 6)},
		// session; domain (no owners: the page does not show them);
		// application and owner; secrets; client certificates; published
		// certificates; certificates; their use. Before: 20.
		{base + "/applications/" + apps[2].ID + "/secrets", at(8, 8)},
		// session; events; domains (the applications' names: none here).
		// Before: 5.
		{"/audit", at(3, 3)},
	}
	n := countStatements(t, e.store)
	for _, p := range pages {
		c.get(p.path).wantStatus(http.StatusOK) // warm: a first visit may touch the session
		n.Store(0)
		c.get(p.path).wantStatus(http.StatusOK)
		if got := n.Load(); got > p.max {
			t.Errorf("GET %s ran %d statements, want at most %d", p.path, got, p.max)
		}
	}
}
