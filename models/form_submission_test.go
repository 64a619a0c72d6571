package models

import (
	"context"
	"sync"
	"testing"
	"time"
)

// A create-application form sent again with its one-time token (a reload
// after success) creates nothing and answers with the application the
// first submission created; the same token from another session, a new
// token or no token at all is a new submission, which the name rule then
// refuses. Concurrent repeats create exactly one application. Deleting the
// application forgets the token.
func TestCreateApplicationOnce(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ada@example.com")
	d := newTestDomain(t, s, "Payments")
	sess, _, err := s.StartSession(ctx, u, time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := s.StartSession(ctx, u, time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	in := ApplicationInput{Name: "Billing", Type: AppTypeService}
	once := FormOnce{SessionID: sess.ID, Token: NewFormToken()}

	a, first, repeated, err := s.CreateApplicationOnce(ctx, Actor{}, d.ID, in, once)
	if err != nil || repeated || first == nil || first.Value == "" {
		t.Fatalf("first submission: %v, repeated %v, first %v", err, repeated, first)
	}
	again, secret, repeated, err := s.CreateApplicationOnce(ctx, Actor{}, d.ID, in, once)
	if err != nil || !repeated || again == nil || again.ID != a.ID || secret != nil {
		t.Fatalf("repeat: app %v (want %s), secret %v, repeated %v, err %v", again, a.ID, secret, repeated, err)
	}
	for name, o := range map[string]FormOnce{
		"another session": {SessionID: other.ID, Token: once.Token},
		"a new token":     {SessionID: sess.ID, Token: NewFormToken()},
		"no token":        {SessionID: sess.ID},
	} {
		_, _, repeated, err := s.CreateApplicationOnce(ctx, Actor{}, d.ID, in, o)
		if fe, ok := AsFieldErrors(err); !ok || fe["name"] == "" || repeated {
			t.Errorf("%s: err %v, repeated %v; want the name refused", name, err, repeated)
		}
	}
	requireApps(t, s, d.ID, 1)

	// Repeats sent at once: one application, every answer names it.
	burst := FormOnce{SessionID: sess.ID, Token: NewFormToken()}
	in.Name = "Ledger"
	var wg sync.WaitGroup
	ids := make([]string, 4)
	errs := make([]error, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, _, _, err := s.CreateApplicationOnce(ctx, Actor{}, d.ID, in, burst)
			errs[i] = err
			if a != nil {
				ids[i] = a.ID
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("concurrent repeat %d: %q, %v; want %q", i, ids[i], errs[i], ids[0])
		}
	}
	requireApps(t, s, d.ID, 2)

	// Deleted, the application takes its token along: the form creates anew.
	if _, err := s.DeleteApplication(ctx, Actor{}, d.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	in.Name = "Billing"
	b, _, repeated, err := s.CreateApplicationOnce(ctx, Actor{}, d.ID, in, once)
	if err != nil || repeated || b.ID == a.ID {
		t.Fatalf("after deleting: %v, repeated %v, id %s (deleted %s)", err, repeated, b.ID, a.ID)
	}
}

func requireApps(t *testing.T, s *Store, domainID string, want int) {
	t.Helper()
	var n int64
	if err := s.db.Model(&Application{}).Where("domain_id = ?", domainID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != int64(want) {
		t.Fatalf("%d applications in the domain, want %d", n, want)
	}
}
