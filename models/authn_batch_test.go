package models

import (
	"context"
	"reflect"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// On PostgreSQL a batch's query answers each lookup exactly as the
// one-row lookup does: valid, wrong, expired, of a disabled application or
// domain, of another client, twice the same.
func TestAuthenticateBatchMatchesOneByOne(t *testing.T) {
	if !testdb.Postgres() {
		t.Skip("the batch query is PostgreSQL's; SQLite looks secrets up one by one (make test-postgres runs this)")
	}
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	type triple struct{ name, hrid, clientID, secret string }
	var cases []triple
	app := func(name string) (*Application, *NewSecret, string) {
		a, first := newTestApp(t, s, name)
		d, err := s.DomainByID(ctx, a.DomainID)
		if err != nil {
			t.Fatal(err)
		}
		return a, first, d.HRID
	}
	valid, vs, vh := app("valid")
	second, err := s.CreateSecret(ctx, Actor{}, valid.ID, "second")
	if err != nil {
		t.Fatal(err)
	}
	other, ots, oh := app("other")
	expired, es, eh := app("expired")
	if err := s.db.Exec("UPDATE client_secrets SET expires_at = ? WHERE id = ?", time.Now().Add(-time.Hour), es.ID).Error; err != nil {
		t.Fatal(err)
	}
	disabled, ds, dh := app("disabled")
	if err := s.db.Exec("UPDATE applications SET disabled = TRUE WHERE id = ?", disabled.ID).Error; err != nil {
		t.Fatal(err)
	}
	offDomain, fs, fh := app("off domain")
	if err := s.db.Exec("UPDATE domains SET enabled = FALSE WHERE id = ?", offDomain.DomainID).Error; err != nil {
		t.Fatal(err)
	}
	cases = append(cases,
		triple{"valid", vh, valid.ClientID, vs.Value},
		triple{"valid's second", vh, valid.ClientID, second.Value},
		triple{"other", oh, other.ClientID, ots.Value},
		triple{"valid again", vh, valid.ClientID, vs.Value},
		triple{"another client's secret", vh, valid.ClientID, ots.Value},
		triple{"another domain", oh, valid.ClientID, vs.Value},
		triple{"wrong secret", vh, valid.ClientID, newSecretValue()},
		triple{"expired", eh, expired.ClientID, es.Value},
		triple{"disabled application", dh, disabled.ClientID, ds.Value},
		triple{"disabled domain", fh, offDomain.ClientID, fs.Value},
	)
	batch := make([]*secretLookup, len(cases))
	for i, c := range cases {
		batch[i] = &secretLookup{digest: SecretDigest(c.secret), clientID: c.clientID, hrid: c.hrid}
	}
	s.answerLookups(ctx, batch)
	found := 0
	for i, c := range cases {
		want, err := s.authenticateOne(ctx, SecretDigest(c.secret), c.clientID, c.hrid)
		if err != nil {
			t.Fatal(err)
		}
		if batch[i].err != nil || !reflect.DeepEqual(batch[i].client, want) {
			t.Errorf("%s: batch %+v, %v; one by one %+v", c.name, batch[i].client, batch[i].err, want)
		}
		if want != nil {
			found++
		}
	}
	if found != 4 {
		t.Errorf("%d of the cases authenticate, want 4 (the valid ones)", found)
	}
}
