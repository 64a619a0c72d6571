package models

import (
	"context"
	"testing"
	"time"
)

func TestRevocationListExpiresWithTheTokens(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2027, 5, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	app, _ := newTestApp(t, s, "Revoker")
	usable := func(jti string) bool {
		t.Helper()
		ok, err := s.TokenUsable(ctx, app.DomainID, app.ClientID, jti)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	rows := func() int64 {
		t.Helper()
		var n int64
		if err := s.db.Model(&RevokedToken{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}

	if !usable("jti-1") {
		t.Fatal("a token nobody revoked is not usable")
	}
	if err := s.RevokeToken(ctx, "jti-1", app.ClientID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "jti-1", app.ClientID, now.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if usable("jti-1") || !usable("jti-2") {
		t.Fatal("the revocation list does not hold exactly the revoked token")
	}
	// An expired token needs no row.
	if err := s.RevokeToken(ctx, "jti-old", app.ClientID, now.Add(-time.Second)); err != nil || rows() != 1 {
		t.Fatalf("rows = %d (err %v) after revoking an expired token, want 1", rows(), err)
	}
	// Once jti-1 has expired, the next revocation purges its row.
	now = now.Add(2 * time.Hour)
	if err := s.RevokeToken(ctx, "jti-3", app.ClientID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var left []RevokedToken
	if err := s.db.Find(&left).Error; err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].JTI != "jti-3" {
		t.Fatalf("revocation list = %+v, want only jti-3", left)
	}
	if ok, err := s.TokenUsable(ctx, app.DomainID, "no-such-client", "jti-9"); ok || err != nil {
		t.Fatalf("unknown client usable = %v, %v", ok, err)
	}
}
