package models

import (
	"context"
	"strings"
	"testing"
	"time"
)

// sessionTestClock is a settable sessions' clock.
type sessionTestClock struct{ t time.Time }

func (c *sessionTestClock) now() time.Time { return c.t }

func TestSessionLifecycle(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	clock := &sessionTestClock{t: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	s.sessionClock = clock.now
	u := newTestUser(t, s, "ses@example.com")

	sess, token, err := s.StartSession(ctx, u, 12*time.Hour, "127.0.0.2", "agent/1")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 64 || strings.Contains(sess.Digest, token) || sess.Digest != SecretDigest(token) {
		t.Fatalf("token %q, digest %q: want a 256-bit token stored only as its digest", token, sess.Digest)
	}
	var stored Session
	if err := s.db.First(&stored, "id = ?", sess.ID).Error; err != nil {
		t.Fatal(err)
	}
	if stored.Digest == token {
		t.Fatal("the session token is stored in clear")
	}

	t.Run("found by its token only", func(t *testing.T) {
		got, gu, err := s.SessionByToken(ctx, token, "127.0.0.2")
		if err != nil || got == nil || gu == nil || got.ID != sess.ID || gu.ID != u.ID {
			t.Fatalf("SessionByToken = %+v, %+v, %v", got, gu, err)
		}
		for _, bad := range []string{"", sess.Digest, sess.ID, token[:63]} {
			if got, _, err := s.SessionByToken(ctx, bad, ""); got != nil || err != nil {
				t.Errorf("SessionByToken(%q) = %+v, %v; want nothing", bad, got, err)
			}
		}
	})

	t.Run("last seen is written at most once a minute", func(t *testing.T) {
		start := clock.t
		clock.t = start.Add(30 * time.Second)
		if _, _, err := s.SessionByToken(ctx, token, "127.0.0.9"); err != nil {
			t.Fatal(err)
		}
		if err := s.db.First(&stored, "id = ?", sess.ID).Error; err != nil {
			t.Fatal(err)
		}
		if !stored.LastSeenAt.Equal(start) || stored.ClientIP != "127.0.0.2" {
			t.Errorf("last seen = %v from %s after 30 s, want %v from 127.0.0.2 (not written)", stored.LastSeenAt, stored.ClientIP, start)
		}
		clock.t = start.Add(61 * time.Second)
		if _, _, err := s.SessionByToken(ctx, token, "127.0.0.3"); err != nil {
			t.Fatal(err)
		}
		if err := s.db.First(&stored, "id = ?", sess.ID).Error; err != nil {
			t.Fatal(err)
		}
		if !stored.LastSeenAt.Equal(clock.t) || stored.ClientIP != "127.0.0.3" {
			t.Errorf("last seen = %v from %s, want %v from 127.0.0.3", stored.LastSeenAt, stored.ClientIP, clock.t)
		}
	})

	t.Run("expires", func(t *testing.T) {
		clock.t = sess.ExpiresAt
		if got, _, err := s.SessionByToken(ctx, token, ""); got != nil || err != nil {
			t.Fatalf("expired session = %+v, %v; want nothing", got, err)
		}
		if ss, err := s.Sessions(ctx, u.ID); err != nil || len(ss) != 0 {
			t.Fatalf("Sessions = %v, %v; want none live", ss, err)
		}
	})
}

func TestExpiredSessionsArePurgedInBatches(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	clock := &sessionTestClock{t: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	s.sessionClock = clock.now
	u := newTestUser(t, s, "purge@example.com")
	n := sessionPurgeBatch + 10
	for i := 0; i < n; i++ {
		if _, _, err := s.StartSession(ctx, u, time.Hour, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	rows := func() int64 {
		var c int64
		if err := s.db.Model(&Session{}).Count(&c).Error; err != nil {
			t.Fatal(err)
		}
		return c
	}
	clock.t = clock.t.Add(2 * time.Hour)
	live, _, err := s.StartSession(ctx, u, time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows(), int64(n-sessionPurgeBatch+1); got != want {
		t.Fatalf("rows after one sign-in = %d, want %d (one bounded batch purged)", got, want)
	}
	if _, _, err := s.StartSession(ctx, u, time.Hour, "", ""); err != nil {
		t.Fatal(err)
	}
	if got := rows(); got != 2 {
		t.Fatalf("rows after two sign-ins = %d, want the 2 live ones", got)
	}
	var kept Session
	if err := s.db.First(&kept, "id = ?", live.ID).Error; err != nil {
		t.Fatalf("a live session was purged: %v", err)
	}
}

func TestUserChangesEndSessions(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	admin, err := s.CreateUser(ctx, Actor{}, NewUser{Email: "root@example.com", Name: "Root", Password: "root-password-123", Role: RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	actor := Actor{UserID: admin.ID, Email: admin.Email, ClientIP: "127.0.0.1"}
	live := func(u *User) int {
		ss, err := s.Sessions(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ss)
	}
	start := func(u *User) {
		if _, _, err := s.StartSession(ctx, u, time.Hour, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	other, err := s.CreateUser(ctx, Actor{}, NewUser{Email: "two@example.com", Name: "Two", Password: "two-password-1234", Role: RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	start(other)
	start(admin)

	// A rename ends nothing.
	if _, err := s.UpdateUser(ctx, actor, other.ID, UserUpdate{Name: "Two B", Role: RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if live(other) != 1 {
		t.Fatal("renaming a user ended their session")
	}
	// Demotion ends them, and only theirs.
	if _, err := s.UpdateUser(ctx, actor, other.ID, UserUpdate{Name: "Two B", Role: RoleViewer}); err != nil {
		t.Fatal(err)
	}
	if live(other) != 0 || live(admin) != 1 {
		t.Fatalf("after demotion: %d sessions of the demoted, %d of the admin; want 0 and 1", live(other), live(admin))
	}
	start(other)
	if _, err := s.UpdateUser(ctx, actor, other.ID, UserUpdate{Name: "Two B", Role: RoleViewer, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if live(other) != 0 {
		t.Fatal("disabling a user left their session")
	}
	start(admin)
	if err := s.ChangePassword(ctx, actor, admin.ID, "root-password-123", "root-password-456", "root-password-456"); err != nil {
		t.Fatal(err)
	}
	if live(admin) != 0 {
		t.Fatal("a password change left sessions")
	}
	page, err := s.AuditEvents(ctx, AuditFilter{Type: EventSessionsEnded})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, ev := range page.Events {
		details = append(details, ev.Detail)
	}
	got := strings.Join(details, "; ")
	for _, want := range []string{"role changed (1 session)", "user disabled (1 session)", "password changed (2 sessions)"} {
		if !strings.Contains(got, want) {
			t.Errorf("session-ending events %q lack %q", got, want)
		}
	}
}
