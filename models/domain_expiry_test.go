package models

import (
	"context"
	"testing"
	"time"
)

// The domain page's figures agree with the per-figure queries, for a
// window longer and shorter than "expiring soon".
func TestDomainExpiryOverview(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	a, first := newTestApp(t, s, "Zeta")
	b, _, err := s.CreateApplication(ctx, Actor{}, a.DomainID, ApplicationInput{Name: "alpha", Type: AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newTestApp(t, s, "Elsewhere")
	set := func(app *Application, name string, exp time.Time) {
		t.Helper()
		ns, err := s.CreateSecret(ctx, Actor{}, app.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSecretExpiry(ctx, ns.ID, &exp); err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour
	if err := s.SetSecretExpiry(ctx, first.ID, new(now.Add(-day))); err != nil {
		t.Fatal(err)
	}
	set(a, "soon", now.Add(3*day))
	set(b, "soon", now.Add(3*day))
	set(b, "later", now.Add(25*day))
	set(b, "much later", now.Add(90*day))
	set(other, "soon", now.Add(day))
	for _, within := range []time.Duration{30 * day, 10 * day} {
		got, err := s.DomainExpiryOverview(ctx, a.DomainID, within, 2)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := s.SecretExpiryCounts(ctx, a.DomainID, "")
		if err != nil {
			t.Fatal(err)
		}
		list, total, err := s.DomainSecretsExpiring(ctx, a.DomainID, within, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got.Counts != counts || got.Total != total || len(got.Expiring) != len(list) {
			t.Fatalf("within %v: got %+v, want %+v, %d, %+v", within, got, counts, total, list)
		}
		for i := range list {
			if got.Expiring[i].SecretID != list[i].SecretID || !got.Expiring[i].ExpiresAt.Equal(list[i].ExpiresAt) {
				t.Errorf("within %v: [%d] = %+v, want %+v", within, i, got.Expiring[i], list[i])
			}
		}
	}
	got, _ := s.DomainExpiryOverview(ctx, a.DomainID, 30*day, 10)
	if got.Counts.Expired != 1 || got.Total != 4 || got.Expiring[0].SecretID != first.ID || got.Expiring[1].ApplicationName != "alpha" {
		t.Errorf("overview = %+v", got)
	}
}
