package models

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

// The domain page's counts read the secrets' copy of their application's
// domain (migration 00110): they follow a secret created, renewed and
// deleted and an application deleted, and another domain's secrets never
// count.
func TestDomainExpiryFollowsSecrets(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	day := 24 * time.Hour
	a, aFirst := newTestApp(t, s, "A")
	b, bFirst, err := s.CreateApplication(ctx, Actor{}, a.DomainID, ApplicationInput{Name: "B", Type: AppTypeService})
	if err != nil {
		t.Fatal(err)
	}
	other, otherFirst := newTestApp(t, s, "Elsewhere")
	setExpiry := func(id string, d time.Duration) {
		t.Helper()
		if err := s.SetSecretExpiry(ctx, id, new(now.Add(d))); err != nil {
			t.Fatal(err)
		}
	}
	// The first secrets never expire unless set here.
	for _, id := range []string{aFirst.ID, bFirst.ID, otherFirst.ID} {
		if err := s.SetSecretExpiry(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, domainID string, expired, expiring, total int64) {
		t.Helper()
		o, err := s.DomainExpiryOverview(ctx, domainID, 30*day, 10)
		if err != nil {
			t.Fatal(err)
		}
		if o.Counts.Expired != expired || o.Counts.Expiring != expiring || o.Total != total || len(o.Expiring) != int(total) {
			t.Errorf("%s: counts %+v, total %d, %d listed; want %d expired, %d expiring, %d in all",
				step, o.Counts, o.Total, len(o.Expiring), expired, expiring, total)
		}
		// The domain settings page's counts read the same column.
		if c, err := s.SecretExpiryCounts(ctx, domainID, ""); err != nil || c != o.Counts {
			t.Errorf("%s: SecretExpiryCounts = %+v, %v; want %+v", step, c, err, o.Counts)
		}
		var stale int64
		err = s.db.Table("client_secrets AS s").Joins("JOIN applications a ON a.id = s.application_id").
			Where("s.domain_id <> a.domain_id").Count(&stale).Error
		if err != nil || stale != 0 {
			t.Errorf("%s: %d secrets with another domain than their application's (%v)", step, stale, err)
		}
	}
	setExpiry(otherFirst.ID, -day)
	check("nothing due", a.DomainID, 0, 0, 0)
	check("other domain", other.DomainID, 1, 0, 1)

	created, err := s.CreateSecret(ctx, Actor{}, a.ID, "created")
	if err != nil {
		t.Fatal(err)
	}
	setExpiry(created.ID, -day)
	soon, err := s.CreateSecret(ctx, Actor{}, b.ID, "soon")
	if err != nil {
		t.Fatal(err)
	}
	setExpiry(soon.ID, 3*day)
	late, err := s.CreateSecret(ctx, Actor{}, b.ID, "late")
	if err != nil {
		t.Fatal(err)
	}
	setExpiry(late.ID, 25*day)
	check("created", a.DomainID, 1, 1, 3)

	// Renewed to 5 days: the expired secret now expires soon.
	if _, err := s.RenewSecretExpiring(ctx, Actor{}, a.ID, created.ID, "", ExpiryChoice{At: new(now.Add(5 * day))}); err != nil {
		t.Fatal(err)
	}
	check("renewed", a.DomainID, 0, 2, 3)

	if _, err := s.DeleteSecret(ctx, Actor{}, b.ID, soon.ID, nil); err != nil {
		t.Fatal(err)
	}
	check("secret deleted", a.DomainID, 0, 1, 2)

	if _, err := s.DeleteApplication(ctx, Actor{}, a.DomainID, a.ID); err != nil {
		t.Fatal(err)
	}
	check("application deleted", a.DomainID, 0, 0, 1)
	check("other domain at the end", other.DomainID, 1, 0, 1)
}

// The counts read three ranges of the index on (domain_id, expires_at),
// never a secret's row nor the applications.
func TestDomainExpiryCountsUseIndex(t *testing.T) {
	s, _, _ := openTestStore(t)
	if s.db.Dialector.Name() != "sqlite" {
		t.Skip("reads SQLite's query plan")
	}
	var plan []struct {
		ID, Parent, Notused int
		Detail              string
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	query := s.db.ToSQL(func(tx *gorm.DB) *gorm.DB {
		return domainExpiryCounts(tx, "d", at, at.Add(time.Hour), at.Add(2*time.Hour)).Scan(&expiryRanges{})
	})
	if err := s.db.Raw("EXPLAIN QUERY PLAN " + query).Scan(&plan).Error; err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
	}
	text := strings.Join(details, "\n")
	if strings.Count(text, "SEARCH client_secrets USING COVERING INDEX idx_secret_domain_expiry (domain_id=? AND expires_at") != 3 ||
		strings.Contains(text, "SCAN client_secrets") {
		t.Errorf("query plan is not three ranges of idx_secret_domain_expiry:\n%s", text)
	}
}
