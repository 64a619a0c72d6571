package models

import (
	"context"
	"testing"
	"time"
)

// The domain page's figures: the counts agree with SecretExpiryCounts, the
// list and its total follow the window (longer and shorter than "expiring
// soon"), other domains' secrets stay out.
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
	for _, tc := range []struct {
		within time.Duration
		total  int64
	}{{30 * day, 4}, {10 * day, 3}} {
		got, err := s.DomainExpiryOverview(ctx, a.DomainID, tc.within, 2)
		if err != nil {
			t.Fatal(err)
		}
		counts, err := s.SecretExpiryCounts(ctx, a.DomainID, "")
		if err != nil {
			t.Fatal(err)
		}
		// The expired one first, then the soonest by application name.
		if got.Counts != counts || got.Total != tc.total || len(got.Expiring) != 2 ||
			got.Expiring[0].SecretID != first.ID || !got.Expiring[0].ExpiresAt.Equal(now.Add(-day)) || got.Expiring[0].ApplicationID != a.ID ||
			got.Expiring[1].ApplicationName != "alpha" || got.Expiring[1].Description != "soon" {
			t.Fatalf("within %v: got %+v, want counts %+v and %d in all", tc.within, got, counts, tc.total)
		}
	}
	if counts, _ := s.SecretExpiryCounts(ctx, a.DomainID, ""); counts.Expired != 1 {
		t.Errorf("counts = %+v", counts)
	}
	empty, err := s.DomainExpiryOverview(ctx, other.DomainID, 0, 2)
	if err != nil || empty.Total != 0 || len(empty.Expiring) != 0 {
		t.Errorf("nothing due = %+v, %v", empty, err)
	}
}
