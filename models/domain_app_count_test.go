package models

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/sync/errgroup"
)

// appCounts returns each domain's AppCount as DomainByID and Domains read
// it, failing when the two disagree.
func appCounts(t *testing.T, s *Store, ids ...string) []int64 {
	t.Helper()
	ctx := context.Background()
	listed := map[string]int64{}
	ds, err := s.Domains(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		listed[d.ID] = d.AppCount
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		d, err := s.DomainByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.AppCount != listed[id] {
			t.Fatalf("domain %s: DomainByID counts %d applications, Domains %d", d.Name, d.AppCount, listed[id])
		}
		out[i] = d.AppCount
	}
	return out
}

func wantCounts(t *testing.T, s *Store, ids []string, want ...int64) {
	t.Helper()
	got := appCounts(t, s, ids...)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("application counts %v, want %v", got, want)
	}
}

// A domain's application count (a column the database's triggers keep,
// migration 00112) follows every way an application comes and goes,
// and a change that fails leaves it as it was.
func TestDomainAppCount(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	da := newTestDomain(t, s, "A")
	db := newTestDomain(t, s, "B")
	ids := []string{da.ID, db.ID}
	wantCounts(t, s, ids, 0, 0)

	var apps []*Application
	for i := range 3 {
		a, _, err := s.CreateApplication(ctx, Actor{}, da.ID, ApplicationInput{Name: fmt.Sprintf("app %d", i), Type: AppTypeService})
		if err != nil {
			t.Fatal(err)
		}
		apps = append(apps, a)
	}
	if _, _, err := s.CreateApplication(ctx, Actor{}, db.ID, ApplicationInput{Name: "b", Type: AppTypeService}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, ids, 3, 1)

	// A refused application (its name is taken) counts nothing.
	if _, _, err := s.CreateApplication(ctx, Actor{}, da.ID, ApplicationInput{Name: "APP 1", Type: AppTypeService}); err == nil {
		t.Fatal("a second application named like the first was created")
	}
	wantCounts(t, s, ids, 3, 1)

	// Renaming and editing do not count; deleting does.
	if _, err := s.UpdateApplication(ctx, Actor{}, da.ID, apps[0].ID, ApplicationInput{Name: "renamed", Type: AppTypeService}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteApplication(ctx, Actor{}, da.ID, apps[1].ID); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, ids, 2, 1)

	// An application moved by hand from one domain to another moves its
	// count along.
	if err := s.db.Exec("UPDATE applications SET domain_id = ? WHERE id = ?", db.ID, apps[2].ID).Error; err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, ids, 1, 2)

	// Editing the domain keeps its count.
	if _, err := s.UpdateDomain(ctx, Actor{}, da.ID, DomainInput{Name: "A renamed", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, ids, 1, 2)

	// Deleting a domain takes its applications along and leaves the
	// other's count alone.
	if _, err := s.DeleteDomain(ctx, Actor{}, db.ID); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, ids[:1], 1)
}

// Applications created at the same moment in one domain are each counted.
func TestDomainAppCountConcurrent(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	d := newTestDomain(t, s, "Busy")
	const n = 12
	var g errgroup.Group
	for i := range n {
		g.Go(func() error {
			_, _, err := s.CreateApplication(ctx, Actor{}, d.ID, ApplicationInput{Name: fmt.Sprintf("app %d", i), Type: AppTypeService})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, []string{d.ID}, n)
}

// A database from before migration 00112 gets every domain's count of the
// applications it already has.
func TestUpgradeDomainAppCount(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, _ := newTestApp(t, s, "one")
	if _, _, err := s.CreateApplication(ctx, Actor{}, a.DomainID, ApplicationInput{Name: "two", Type: AppTypeService}); err != nil {
		t.Fatal(err)
	}
	empty := newTestDomain(t, s, "Empty")
	// Take 00112 back as its Down does, and forget that it ran.
	down := []string{"DROP TRIGGER IF EXISTS applications_count_move", "DROP TRIGGER IF EXISTS applications_count_delete",
		"DROP TRIGGER IF EXISTS applications_count_insert", "ALTER TABLE domains DROP COLUMN app_count"}
	if s.db.Dialector.Name() == "postgres" {
		down = []string{"DROP TRIGGER applications_count_move ON applications", "DROP TRIGGER applications_count_change ON applications",
			"DROP FUNCTION latchkey_count_applications()", "ALTER TABLE domains DROP COLUMN app_count"}
	}
	for _, q := range append(down, "DELETE FROM goose_db_version WHERE version_id = 112") {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, []string{a.DomainID, empty.ID}, 2, 0)
	// And the triggers are back.
	if _, _, err := s.CreateApplication(ctx, Actor{}, empty.ID, ApplicationInput{Name: "three", Type: AppTypeService}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, s, []string{a.DomainID, empty.ID}, 2, 1)
}
