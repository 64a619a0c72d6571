package models

import (
	"context"
	"errors"
	"testing"
	"time"

	"latchkey/models/migrations"
)

func TestAuthenticateClient(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "app")
	d, _ := s.DomainByID(ctx, a.DomainID)
	got, err := s.AuthenticateClient(ctx, d.HRID, a.ClientID, first.Value)
	if err != nil || got == nil || got.SecretID != first.ID || got.ApplicationID != a.ID || got.DomainID != d.ID {
		t.Fatalf("got %+v, %v", got, err)
	}
	for name, args := range map[string][3]string{
		"wrong hrid":   {"other", a.ClientID, first.Value},
		"wrong client": {d.HRID, "other", first.Value},
		"wrong secret": {d.HRID, a.ClientID, newSecretValue()},
		"noise":        {d.HRID, a.ClientID, "x"},
	} {
		if got, err := s.AuthenticateClient(ctx, args[0], args[1], args[2]); got != nil || err != nil {
			t.Errorf("%s: %+v, %v", name, got, err)
		}
	}
}

// FuzzAuthenticateClient: no input authenticates except the exact triple,
// and none makes the lookup fail.
func FuzzAuthenticateClient(f *testing.F) {
	s, _, _ := openTestStore(f)
	ctx := context.Background()
	a, first := newTestApp(f, s, "app")
	d, _ := s.DomainByID(ctx, a.DomainID)
	s.Now = func() time.Time { return time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC) }
	f.Add(d.HRID, a.ClientID, first.Value)
	f.Add(d.HRID, a.ClientID, first.Value[:52]+"0")
	f.Add("", "", "")
	f.Add(d.HRID+"%", a.ClientID+"' OR 1=1 --", "lks_"+first.Value[4:])
	f.Fuzz(func(t *testing.T, hrid, clientID, secret string) {
		got, err := s.AuthenticateClient(ctx, hrid, clientID, secret)
		if err != nil {
			t.Fatalf("lookup failed: %v", err)
		}
		exact := hrid == d.HRID && clientID == a.ClientID && secret == first.Value
		if (got != nil) != exact {
			t.Fatalf("AuthenticateClient(%q, %q, %q) = %+v", hrid, clientID, secret, got)
		}
	})
}

// TestAuthenticateClientRequestContext: net/http gives every request a
// context that can be cancelled. On SQLite the lookup must cost nothing
// more for it than for one that cannot be (database/sql's goroutine per
// query and the driver's callback around each step were 9 allocations
// of a token request's 47); on PostgreSQL, where a statement crosses a
// network, a request that is gone still ends its lookup.
func TestAuthenticateClientRequestContext(t *testing.T) {
	s, _, _ := openTestStore(t)
	a, first := newTestApp(t, s, "app")
	d, _ := s.DomainByID(context.Background(), a.DomainID)
	lookup := func(ctx context.Context) (*AuthenticatedClient, error) {
		return s.AuthenticateClient(ctx, d.HRID, a.ClientID, first.Value)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if s.dialect == migrations.Postgres {
		if got, err := lookup(cancelled); got != nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled request's lookup on PostgreSQL: %+v, %v; want context.Canceled", got, err)
		}
		return
	}
	live, stop := context.WithCancel(context.Background())
	defer stop()
	allocs := func(ctx context.Context) float64 {
		return testing.AllocsPerRun(200, func() {
			if got, err := lookup(ctx); got == nil || err != nil {
				t.Fatalf("lookup: %+v, %v", got, err)
			}
		})
	}
	plain, request := allocs(context.Background()), allocs(live)
	if request > plain {
		t.Errorf("a lookup with a request's context allocates %.0f times, %.0f more than without", request, request-plain)
	}
}
