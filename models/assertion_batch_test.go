package models

import (
	"context"
	"reflect"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// On PostgreSQL a batch's assertion lookup answers each client exactly as
// the one-client lookup does: with its keys in order and at most the
// limit, or none (method not accepted, disabled, another domain, unknown,
// only an expired certificate); a client asked twice gets both answers.
func TestClientForAssertionBatchMatchesOneByOne(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("the batch query is PostgreSQL's; SQLite looks clients up one by one (make test-postgres runs this)")
	}
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	s.ClientCertificatesMax = 3
	now := s.now()
	actor := Actor{UserID: "u", Email: "admin@example.com"}
	type app struct {
		clientID, hrid string
	}
	newApp := func(name string, certs int, pkj bool, expired bool) app {
		a, _ := newTestApp(t, s, name)
		d, err := s.DomainByID(ctx, a.DomainID)
		if err != nil {
			t.Fatal(err)
		}
		for i := range certs {
			// An expired one is uploaded while valid and then expired in
			// its row: a second of validity could pass on a busy machine
			// before the upload, which then refused it.
			na := now.Add(time.Hour)
			if _, err := s.AddClientCertificate(ctx, actor, a.ID, ClientCertificateInput{Description: name + string(rune('a'+i)), Data: certPEM(t, newECKey(t), now.Add(-time.Hour), na)}); err != nil {
				t.Fatal(err)
			}
		}
		if expired {
			if err := s.db.Exec("UPDATE client_certificates SET expires_at = ? WHERE application_id = ?", now.Add(-time.Minute), a.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
		if pkj {
			if _, err := s.SetAuthMethods(ctx, actor, a.DomainID, a.ID, []string{"client_secret", "private_key_jwt"}); err != nil {
				t.Fatal(err)
			}
		}
		return app{a.ClientID, d.HRID}
	}
	two := newApp("three keys", 3, true, false)
	one := newApp("one key", 1, true, false)
	off := newApp("method off", 1, false, false)
	stale := newApp("expired", 1, true, true)
	if err := s.db.Exec("UPDATE applications SET disabled = TRUE WHERE client_id = ?", newApp("disabled", 1, true, false).clientID).Error; err != nil {
		t.Fatal(err)
	}
	// The lookups read at most 2 of the 3 (the statements are prepared on
	// first use, with the limit of then).
	s.ClientCertificatesMax = 2
	cases := []app{two, one, off, stale, {two.clientID, one.hrid}, {"nobody", two.hrid}, two}
	batch := make([]*assertionLookup, len(cases))
	for i, c := range cases {
		batch[i] = &assertionLookup{clientID: c.clientID, hrid: c.hrid}
	}
	s.answerAssertionLookups(ctx, batch)
	found := 0
	for i, c := range cases {
		want, keys, err := s.clientForAssertionOne(ctx, c.hrid, c.clientID)
		if err != nil {
			t.Fatal(err)
		}
		l := batch[i]
		if l.err != nil || !reflect.DeepEqual(l.client, want) || !reflect.DeepEqual(l.keys, keys) {
			t.Errorf("case %d (%v): batch %+v %d keys %v; one by one %+v %d keys", i, c, l.client, len(l.keys), l.err, want, len(keys))
		}
		if want != nil {
			found++
		}
	}
	if found != 3 || len(batch[0].keys) != 2 || len(batch[1].keys) != 1 {
		t.Errorf("%d clients found, keys %d and %d; want 3, 2 and 1", found, len(batch[0].keys), len(batch[1].keys))
	}
}

// On PostgreSQL a batch of jtis is first used exactly when the one-jti
// statement would say so: new ones yes, a stored one no, a stored expired
// one yes (taken over), the same jti of another client yes, and a pair
// twice in the batch once.
func TestUseAssertionJTIBatch(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("the batch insert is PostgreSQL's; SQLite inserts jtis one by one (make test-postgres runs this)")
	}
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	later := time.Now().Add(time.Minute)
	if first, err := s.useJTIOne(ctx, "c1", "stored", later); err != nil || !first {
		t.Fatalf("storing: %v %v", first, err)
	}
	if first, err := s.useJTIOne(ctx, "c1", "lapsed", time.Now().Add(-time.Minute)); err != nil || !first {
		t.Fatalf("storing: %v %v", first, err)
	}
	cases := []struct {
		clientID, jti string
		first         bool
	}{
		{"c1", "new", true},
		{"c1", "stored", false},
		{"c1", "lapsed", true},
		{"c2", "stored", true},
		{"c1", "twice", true},
		{"c1", "twice", false},
		{"c1", "new", false},
	}
	batch := make([]*jtiUse, len(cases))
	for i, c := range cases {
		batch[i] = &jtiUse{clientID: c.clientID, jti: c.jti, expiresAt: later}
	}
	s.answerJTIUses(ctx, batch)
	for i, c := range cases {
		if batch[i].err != nil || batch[i].first != c.first {
			t.Errorf("%s/%s: first %v, %v; want %v", c.clientID, c.jti, batch[i].first, batch[i].err, c.first)
		}
	}
	// Everything the batch accepted is stored: it is a replay from now on.
	for _, c := range cases {
		if first, err := s.useJTIOne(ctx, c.clientID, c.jti, later); err != nil || first {
			t.Errorf("%s/%s again: first %v, %v", c.clientID, c.jti, first, err)
		}
	}
}
