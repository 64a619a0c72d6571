package models

import (
	"context"
	"testing"
	"time"
)

// SignedInByToken reads the session, all of its user and the user's
// unread notices in one statement; a session whose user is gone or
// disabled is nobody's.
func TestSignedInByToken(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "bell@example.com")
	other := newTestUser(t, s, "other@example.com")
	_, token, err := s.StartSession(ctx, u, time.Hour, "127.0.0.2", "agent/1")
	if err != nil {
		t.Fatal(err)
	}
	_, otherToken, err := s.StartSession(ctx, other, time.Hour, "127.0.0.3", "agent/1")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.SignedInByToken(ctx, token, "127.0.0.2")
	if err != nil || in == nil {
		t.Fatalf("SignedInByToken = %+v, %v", in, err)
	}
	// Every column of the user, as UserByID reads it.
	if *in.User != *stored || in.Session.UserID != u.ID || in.Unread != 0 {
		t.Fatalf("signed in = %+v, %+v, unread %d; want %+v, 0", in.Session, in.User, in.Unread, stored)
	}

	// Two unread notices and one read, for u; one for someone else.
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	for i, rcpt := range []string{u.ID, u.ID, u.ID, other.ID} {
		row := NotificationLedger{SecretID: first.ID, ExpiresAt: exp, Event: NoticeExpired, Threshold: i, Recipient: rcpt,
			Channel: ChannelUI, Status: LedgerSent, CreatedAt: exp}
		if err := s.db.Create(&row).Error; err != nil {
			t.Fatal(err)
		}
		n := Notification{LedgerID: row.ID, UserID: rcpt, CreatedAt: exp}
		if i == 2 {
			n.ReadAt = &exp
		}
		if err := s.db.Create(&n).Error; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.UnreadNotificationCount(ctx, u.ID); err != nil || n != 2 {
		t.Fatalf("UnreadNotificationCount = %d, %v; want 2", n, err)
	}
	if in, err = s.SignedInByToken(ctx, token, ""); err != nil || in == nil || in.Unread != 2 {
		t.Fatalf("SignedInByToken = %+v, %v; want 2 unread", in, err)
	}
	if in, err = s.SignedInByToken(ctx, otherToken, ""); err != nil || in == nil || in.Unread != 1 {
		t.Fatalf("other's SignedInByToken = %+v, %v; want 1 unread", in, err)
	}

	// A user disabled behind the console's back: the session ends.
	if err := s.db.Model(&User{}).Where("id = ?", other.ID).Update("disabled", true).Error; err != nil {
		t.Fatal(err)
	}
	if in, err = s.SignedInByToken(ctx, otherToken, ""); err != nil || in != nil {
		t.Fatalf("disabled user's session = %+v, %v; want nothing", in, err)
	}
	if ss, _ := s.Sessions(ctx, other.ID); len(ss) != 0 {
		t.Errorf("a disabled user's sessions were kept: %+v", ss)
	}
	// A user gone (a row deleted without its sessions): nobody.
	if err := s.db.Exec("DELETE FROM users WHERE id = ?", u.ID).Error; err != nil {
		t.Fatal(err)
	}
	var left int64
	s.db.Model(&Session{}).Where("user_id = ?", u.ID).Count(&left)
	if in, err = s.SignedInByToken(ctx, token, ""); err != nil || in != nil {
		t.Fatalf("gone user's session (%d left) = %+v, %v; want nothing", left, in, err)
	}
}
