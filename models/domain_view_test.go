package models

import (
	"context"
	"errors"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// DomainView returns what its three parts return one by one, and a domain
// that does not exist is not found (not an empty page).
func TestDomainView(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	owner := newTestUser(t, s, "owner@example.com")
	d, err := s.CreateDomain(ctx, Actor{}, DomainInput{Name: "Viewed", Enabled: true, OwnerIDs: []string{owner.ID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gamma", "Alpha", "beta"} {
		if _, _, err := s.CreateApplication(ctx, Actor{}, d.ID, ApplicationInput{Name: name, Type: AppTypeService, OwnerID: owner.ID}); err != nil {
			t.Fatal(err)
		}
	}
	req := PageRequest{Limit: 2}
	v, err := s.DomainView(ctx, d.ID, "", req, 30*24*time.Hour, 5)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := s.ApplicationsPage(ctx, d.ID, "", req)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := s.DomainExpiryOverview(ctx, d.ID, 30*24*time.Hour, 5)
	if err != nil {
		t.Fatal(err)
	}
	if v.Domain.ID != d.ID || len(v.Domain.Owners) != 1 || v.Domain.AppCount != 3 {
		t.Errorf("domain = %+v, want %s with its owner and 3 applications", v.Domain, d.ID)
	}
	if len(v.Apps.Items) != 2 || v.Apps.Items[0].Name != "Alpha" || v.Apps.Items[1].Name != "beta" || v.Apps.Next != apps.Next {
		t.Errorf("applications = %+v, want %+v", v.Apps, apps)
	}
	if a := v.Apps.Items[0]; a.Owner == nil || a.Owner.Email != "owner@example.com" || a.ClientID == "" || a.DomainID != d.ID || a.Type != AppTypeService {
		t.Errorf("a listed application = %+v, want its id, domain, type, client id and owner", a)
	}
	if v.Expiry.Counts != exp.Counts || v.Expiry.Total != exp.Total {
		t.Errorf("expiry = %+v, want %+v", v.Expiry, exp)
	}
	if _, err := s.DomainView(ctx, "no-such-domain", "", req, time.Hour, 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown domain: %v, want ErrNotFound", err)
	}
}

// With a pool of one connection the page's parts take it in turn: none
// holds it while waiting for another.
func TestDomainViewOneConnection(t *testing.T) {
	s, err := Open(context.Background(), testdb.DSN(t), nil, WithKeyEncryptionKey(testdb.KEK()), WithPool(Pool{MaxOpenConns: 1}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	a, _ := newTestApp(t, s, "Solo")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := s.DomainView(ctx, a.DomainID, "", PageRequest{}, 30*24*time.Hour, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Apps.Items) != 1 || v.Domain.AppCount != 1 {
		t.Errorf("view = %+v, %+v; want the one application", v.Domain, v.Apps)
	}
}
