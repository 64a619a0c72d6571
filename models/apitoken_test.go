package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/internal/testdb"
)

// Table tests for API tokens: value format, creation rules, what stops a
// token working, and the throttled last-use write.

func newTokenStore(t *testing.T) (*Store, *testdb.Clock, *User, *User) {
	t.Helper()
	s, _, _ := openTestStore(t)
	clock := testdb.NewClock(time.Date(2026, time.May, 4, 10, 0, 0, 0, time.UTC))
	s.Now = clock.Now
	ctx := context.Background()
	admin, err := s.CreateUser(ctx, Actor{}, NewUser{Email: "admin@example.com", Name: "Admin", Password: "admin-password-123", Role: RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := s.CreateUser(ctx, Actor{}, NewUser{Email: "viewer@example.com", Name: "Viewer", Password: "viewer-password-123", Role: RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	return s, clock, admin, viewer
}

func TestAPITokenValueFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		v := newAPITokenValue()
		if len(v) != 53 || !strings.HasPrefix(v, APITokenPrefix) || !LooksLikeAPIToken(v) {
			t.Fatalf("value %q", v)
		}
		if LooksLikeSecret(v) || LooksLikeAPIToken(newSecretValue()) {
			t.Fatal("token and client secret values are not told apart")
		}
		if seen[v] {
			t.Fatal("repeated value")
		}
		seen[v] = true
	}
	v := newAPITokenValue()
	for _, bad := range []string{"", "lkp_", v[:52], v + "x", "lks_" + v[4:], v[:20] + "!" + v[21:], v[:52] + string(rune(v[52]^1))} {
		if LooksLikeAPIToken(bad) {
			t.Errorf("LooksLikeAPIToken(%q) = true", bad)
		}
	}
}

func TestCreateAPITokenRules(t *testing.T) {
	s, clock, admin, viewer := newTokenStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		in    APITokenInput
		field string
	}{
		{APITokenInput{Name: " "}, "name"},
		{APITokenInput{Name: strings.Repeat("x", 65)}, "name"},
		{APITokenInput{Name: "ci", ExpiresInDays: "0"}, "expires"},
		{APITokenInput{Name: "ci", ExpiresInDays: "366"}, "expires"},
		{APITokenInput{Name: "ci", ExpiresInDays: "never"}, "expires"},
		{APITokenInput{Name: "ci", ExpiresInDays: "99999999999999999999"}, "expires"},
	} {
		_, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, tc.in)
		fe, ok := AsFieldErrors(err)
		if !ok || fe[tc.field] == "" {
			t.Errorf("%+v: err = %v, want a message for %s", tc.in, err, tc.field)
		}
	}
	if _, err := s.CreateAPIToken(ctx, Actor{}, "no-such-user", APITokenInput{Name: "ci"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown user: %v", err)
	}

	// The default lifetime, the maximum, and the digest at rest.
	nt, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, APITokenInput{Name: "  ci  "})
	if err != nil {
		t.Fatal(err)
	}
	if nt.Name != "ci" || nt.ReadOnly || nt.Kind != TokenPersonal || *nt.ExpiresAt != clock.Now().AddDate(0, 0, DefaultAPITokenDays) {
		t.Errorf("token = %+v", nt.APIToken)
	}
	year, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, APITokenInput{Name: "yearly", ExpiresInDays: "365"})
	if err != nil {
		t.Fatal(err)
	}
	if *year.ExpiresAt != clock.Now().AddDate(0, 0, 365) {
		t.Errorf("365 days: %v", year.ExpiresAt)
	}
	stored, err := s.APITokenByID(ctx, admin.ID, nt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Digest != SecretDigest(nt.Value) || stored.Digest == nt.Value || stored.Hint != nt.Value[49:] {
		t.Errorf("stored = %+v", stored)
	}
	// A viewer's token is read-only whatever was asked.
	vt, err := s.CreateAPIToken(ctx, Actor{}, viewer.ID, APITokenInput{Name: "viewer", ReadOnly: false})
	if err != nil {
		t.Fatal(err)
	}
	if !vt.ReadOnly {
		t.Error("viewer token is not read-only")
	}
	// Another user's token is not found.
	if _, err := s.APITokenByID(ctx, viewer.ID, nt.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("foreign token: %v", err)
	}
	if _, err := s.RevokeAPIToken(ctx, Actor{}, viewer.ID, nt.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke foreign token: %v", err)
	}
}

func TestAuthenticateAPIToken(t *testing.T) {
	s, clock, admin, viewer := newTokenStore(t)
	ctx := context.Background()
	personal, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, APITokenInput{Name: "ci", ExpiresInDays: "2"})
	if err != nil {
		t.Fatal(err)
	}
	issued, err := s.IssueAPIToken(ctx, Actor{}, admin)
	if err != nil {
		t.Fatal(err)
	}
	wantOK := func(value, why string) *APIToken {
		t.Helper()
		tok, err := s.AuthenticateAPIToken(ctx, value)
		if err != nil {
			t.Fatalf("%s: %v", why, err)
		}
		if tok.User == nil || tok.User.ID != tok.UserID {
			t.Fatalf("%s: owner not loaded", why)
		}
		return tok
	}
	wantRefused := func(value, why string) {
		t.Helper()
		if _, err := s.AuthenticateAPIToken(ctx, value); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: err = %v, want ErrInvalidToken", why, err)
		}
	}
	if tok := wantOK(personal.Value, "personal"); !tok.CanWrite() {
		t.Error("an admin's read-write token cannot write")
	}
	wantOK(issued.Value, "issued")
	wantRefused("", "empty")
	wantRefused(newAPITokenValue(), "unknown")
	wantRefused(altered(personal.Value), "altered")

	// Issued tokens last an hour, personal ones their days.
	clock.Advance(IssuedTokenLifetime)
	wantRefused(issued.Value, "issued token at its expiry")
	wantOK(personal.Value, "personal token within its days")
	clock.Advance(47 * time.Hour)
	wantRefused(personal.Value, "personal token at its expiry")

	// Revoked.
	rev, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, APITokenInput{Name: "revoked"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeAPIToken(ctx, Actor{}, admin.ID, rev.ID); err != nil {
		t.Fatal(err)
	}
	wantRefused(rev.Value, "revoked")
	again, err := s.RevokeAPIToken(ctx, Actor{}, admin.ID, rev.ID)
	if err != nil || again.RevokedAt == nil {
		t.Errorf("revoking twice: %v %+v", err, again)
	}
	if st := again.Status(clock.Now()); st != APITokenRevoked {
		t.Errorf("status = %s", st)
	}

	// A disabled owner; an owner demoted to viewer cannot write.
	vt, err := s.CreateAPIToken(ctx, Actor{}, viewer.ID, APITokenInput{Name: "v"})
	if err != nil {
		t.Fatal(err)
	}
	if tok := wantOK(vt.Value, "viewer"); tok.CanWrite() {
		t.Error("a viewer's token can write")
	}
	if _, err := s.UpdateUser(ctx, Actor{UserID: admin.ID}, viewer.ID, UserUpdate{Name: "Viewer", Role: RoleViewer, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	wantRefused(vt.Value, "disabled owner")

	// A password change ends issued tokens only.
	clock.Advance(time.Minute)
	issued, err = s.IssueAPIToken(ctx, Actor{}, admin)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, APITokenInput{Name: "kept"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if err := s.ChangePassword(ctx, Actor{}, admin.ID, "admin-password-123", "another-password-456", "another-password-456"); err != nil {
		t.Fatal(err)
	}
	wantRefused(issued.Value, "issued before the password change")
	wantOK(kept.Value, "personal token after a password change")

	// Issued tokens are not listed; personal ones are, newest first.
	list, err := s.APITokens(ctx, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tok := range list {
		names = append(names, tok.Name)
	}
	if strings.Join(names, ",") != "kept,revoked,ci" {
		t.Errorf("listed %v", names)
	}
}

// altered changes a value's last character.
func altered(v string) string {
	last := "0"
	if v[len(v)-1] == '0' {
		last = "1"
	}
	return v[:len(v)-1] + last
}

func TestAPITokenLastUsedAtMostOncePerMinute(t *testing.T) {
	s, clock, admin, _ := newTokenStore(t)
	ctx := context.Background()
	nt, err := s.CreateAPIToken(ctx, Actor{}, admin.ID, APITokenInput{Name: "poller"})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		t.Helper()
		tok, err := s.APITokenByID(ctx, admin.ID, nt.ID)
		if err != nil {
			t.Fatal(err)
		}
		return tok.LastUsedAt
	}
	if lastUsed() != nil {
		t.Fatal("a new token has been used")
	}
	first := clock.Now()
	if _, err := s.AuthenticateAPIToken(ctx, nt.Value); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Fatalf("lastUsedAt = %v, want %v", got, first)
	}
	// Within the minute: no write.
	clock.Advance(59 * time.Second)
	if _, err := s.AuthenticateAPIToken(ctx, nt.Value); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("lastUsedAt moved to %v within the minute", got)
	}
	// A minute on: written again, once, even by concurrent requests.
	clock.Advance(time.Second)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AuthenticateAPIToken(ctx, nt.Value); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := lastUsed(); got == nil || !got.Equal(clock.Now()) {
		t.Errorf("lastUsedAt = %v, want %v", got, clock.Now())
	}
}

func TestIssuedTokensAreCleanedUp(t *testing.T) {
	s, clock, admin, _ := newTokenStore(t)
	ctx := context.Background()
	old, err := s.IssueAPIToken(ctx, Actor{}, admin)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(IssuedTokenLifetime + issuedTokenRetention + time.Minute)
	if _, err := s.IssueAPIToken(ctx, Actor{}, admin); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := s.db.Model(&APIToken{}).Where("id = ?", old.ID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Error("an issued token expired a day ago is still stored")
	}
}
