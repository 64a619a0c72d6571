package benchfixture_test

import (
	"context"
	"testing"

	"latchkey/internal/benchfixture"
	"latchkey/internal/testdb"
	"latchkey/models"
)

// A small console data set loads on either database with what it
// promises: the applications by name, 1–3 secrets each, the events newest
// first.
func TestLoadConsole(t *testing.T) {
	ctx := context.Background()
	s, err := models.Open(ctx, testdb.DSN(t), nil, models.WithKeyEncryptionKey(testdb.KEK()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.CreateDomain(ctx, models.Actor{}, models.DomainInput{Name: "Scale", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	indexes := func() (n int64) {
		t.Helper()
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events'"
		if testdb.Postgres() {
			q = "SELECT count(*) FROM pg_indexes WHERE tablename = 'audit_events' AND schemaname = current_schema()"
		}
		if err := s.DB().Raw(q).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := indexes()
	if err := benchfixture.LoadConsole(ctx, s, benchfixture.Console{DomainID: d.ID, Apps: 30, AuditEvents: 101}); err != nil {
		t.Fatal(err)
	}
	// The load drops the audit log's indexes and builds them again.
	if after := indexes(); after != before || before < 6 {
		t.Errorf("audit_events has %d indexes after the load, %d before", after, before)
	}
	if n, err := s.ApplicationCount(ctx, d.ID); err != nil || n != 30 {
		t.Fatalf("applications = %d, %v", n, err)
	}
	apps, err := s.ApplicationsPage(ctx, d.ID, benchfixture.AppName(29), models.PageRequest{})
	if err != nil || len(apps.Items) != 1 || apps.Items[0].ID != benchfixture.AppID(29) {
		t.Fatalf("search = %+v, %v", apps, err)
	}
	secrets, err := s.SecretsOfApplications(ctx, []string{benchfixture.AppID(0), benchfixture.AppID(1), benchfixture.AppID(2)})
	if err != nil || len(secrets[benchfixture.AppID(0)]) != 1 || len(secrets[benchfixture.AppID(2)]) != 3 {
		t.Fatalf("secrets = %+v, %v", secrets, err)
	}
	events, err := s.AuditEvents(ctx, models.AuditFilter{DomainID: d.ID, Actor: "fixture@example.com", PerPage: 500})
	if err != nil {
		t.Fatal(err)
	}
	// Events 0 and 1 share the newest instant; the tie goes by id, descending.
	if events.Total != 101 || events.Events[0].ID != benchfixture.AuditEventID(1) {
		t.Fatalf("events = %d", events.Total)
	}
	newest, err := s.AuditEventsPage(ctx, models.AuditFilter{DomainID: d.ID, Type: models.EventSecretCreated}, models.PageRequest{Limit: 1})
	if err != nil || len(newest.Items) != 1 || newest.Items[0].ID != benchfixture.AuditEventID(0) {
		t.Fatalf("newest = %+v, %v", newest, err)
	}
}
