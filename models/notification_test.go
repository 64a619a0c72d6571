package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

func TestNotificationsReadUnread(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	ann, ben := newTestUser(t, s, "ann@example.com"), newTestUser(t, s, "ben@example.com")
	a, first := newTestApp(t, s, "App")
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return at }
	exp := at.Add(20 * 24 * time.Hour)
	if err := s.SetSecretExpiry(ctx, first.ID, &exp); err != nil {
		t.Fatal(err)
	}
	// Deciding a console row stores its notice with it.
	for _, days := range []int{20, 10, 5} {
		if err := s.decideNotices(ctx, []LedgerEntry{{NoticeKey: NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeWillExpire, Threshold: days}, Recipient: ann.ID, Channel: ChannelUI}}, "run", at, nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.LedgerRows(ctx, first.ID)
	if err != nil || len(rows) != 3 {
		t.Fatalf("ledger rows = %d, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Status != LedgerSent {
			t.Errorf("console row %d is %s, want sent", r.ID, r.Status)
		}
	}
	count := func(u *User) int64 {
		n, err := s.UnreadNotificationCount(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(ann) != 3 || count(ben) != 0 {
		t.Fatalf("unread: ann %d, ben %d", count(ann), count(ben))
	}
	unread, err := s.UnreadNotifications(ctx, ann.ID, 2)
	if err != nil || len(unread) != 2 {
		t.Fatalf("UnreadNotifications = %d, %v", len(unread), err)
	}
	// Newest first; the words name the secret as it is now.
	n := unread[0]
	if n.ID != fmt.Sprint(rows[2].ID) || n.Threshold != 5 || n.SubjectID != first.ID || n.ApplicationID != a.ID ||
		n.Kind != KindClientSecret.Name || n.DomainID != a.DomainID || !n.CreatedAt.Equal(at) ||
		n.Title != "Client secret “"+first.Description+"” of App expires in 20 days" ||
		!strings.Contains(n.Message, "in domain ") || !strings.Contains(n.Message, exp.Format(NoticeDateFormat)) {
		t.Errorf("newest notice = %+v", n)
	}
	for _, id := range []string{"", "x", "-1", "99999"} {
		if err := s.MarkNotificationRead(ctx, ann.ID, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("marking %q: %v, want ErrNotFound", id, err)
		}
	}
	if err := s.MarkNotificationRead(ctx, ben.ID, unread[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("ben marking ann's notice: %v, want ErrNotFound", err)
	}
	if err := s.MarkNotificationRead(ctx, ann.ID, unread[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkNotificationRead(ctx, ann.ID, unread[0].ID); err != nil {
		t.Errorf("marking twice: %v", err)
	}
	if count(ann) != 2 {
		t.Errorf("unread after one read = %d, want 2", count(ann))
	}
	if n, err := s.MarkAllNotificationsRead(ctx, ann.ID); err != nil || n != 2 {
		t.Errorf("MarkAll = %d, %v; want 2", n, err)
	}
	p, err := s.Notifications(ctx, ann.ID, 1, 50)
	if err != nil || p.Total != 3 || len(p.Notifications) != 3 || !p.Notifications[0].IsRead() {
		t.Errorf("Notifications = %+v, %v", p, err)
	}
	// Renewing the secret takes its notices off the bell.
	if _, err := s.RenewSecret(ctx, a.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Notifications(ctx, ann.ID, 1, 50); err != nil || p.Total != 0 || len(p.Notifications) != 0 {
		t.Errorf("after renewal: %+v, %v", p, err)
	}
}

// DeliverNotifications stores the notices of pending console rows (left
// by an older version, which decided them pending) once.
func TestDeliverNotifications(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ann@example.com")
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	row := NotificationLedger{SecretID: first.ID, ExpiresAt: exp, Event: NoticeExpired, Recipient: u.ID, Channel: ChannelUI,
		Status: LedgerPending, Claim: "run", LeaseUntil: exp.Add(time.Hour), CreatedAt: exp}
	if err := s.db.Create(&row).Error; err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeliverNotifications(ctx, "other", []uint64{row.ID}); err != nil || len(got) != 0 {
		t.Fatalf("delivery by another claim = %v, %v; want none", got, err)
	}
	if got, err := s.DeliverNotifications(ctx, "run", []uint64{row.ID}); err != nil || len(got) != 1 {
		t.Fatalf("delivered %v, %v", got, err)
	}
	if got, err := s.DeliverNotifications(ctx, "run", []uint64{row.ID}); err != nil || len(got) != 0 {
		t.Fatalf("second delivery = %v, %v; want none", got, err)
	}
	if n, err := s.UnreadNotificationCount(ctx, u.ID); err != nil || n != 1 {
		t.Errorf("notices = %d, %v; want 1", n, err)
	}
	if rows, _ := s.LedgerRows(ctx, first.ID); len(rows) != 1 || rows[0].Status != LedgerSent {
		t.Errorf("rows = %+v", rows)
	}
}

// A console row for a user deleted meanwhile is decided without a notice;
// the others get theirs.
func TestDecideNoticesDeletedUser(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ann@example.com")
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeExpired}
	err := s.decideNotices(ctx, []LedgerEntry{{NoticeKey: key, Recipient: "gone-user", Channel: ChannelUI}, {NoticeKey: key, Recipient: u.ID, Channel: ChannelUI}}, "run", exp, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := s.db.Model(&Notification{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("notices = %d, %v; want 1 (ann's)", n, err)
	}
}

func TestDecideNoticesOnce(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	app, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeWillExpire, Threshold: 5}
	entries := []LedgerEntry{
		{NoticeKey: key, Recipient: "u1", Channel: ChannelEmail},
		{NoticeKey: key, Recipient: LogRecipient, Channel: ChannelLog},
	}
	n := 0
	count := func(int, uint64) { n++ }
	err := s.decideNotices(ctx, entries, "a", exp, count)
	if err != nil || n != 2 {
		t.Fatalf("first decision inserted %d, %v", n, err)
	}
	other := key
	other.Threshold = 1
	n = 0
	err = s.decideNotices(ctx, append(entries, LedgerEntry{NoticeKey: other, Recipient: "u1", Channel: ChannelEmail}), "b", exp, count)
	if err != nil || n != 1 {
		t.Fatalf("second decision inserted %d, %v; want only the new key", n, err)
	}
	// A secret expiring at the same moment, not asked about, is left out.
	second, err := s.CreateSecret(ctx, app.ID, "Second")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSecretExpiry(ctx, second.ID, &exp); err != nil {
		t.Fatal(err)
	}
	secondKey := NoticeKey{SubjectID: second.ID, ExpiresAt: exp, Event: NoticeExpired}
	if err := s.decideNotices(ctx, []LedgerEntry{{NoticeKey: secondKey, Recipient: "u1", Channel: ChannelEmail}}, "c", exp, nil); err != nil {
		t.Fatal(err)
	}
	decided, err := s.DecidedNotices(ctx, KindClientSecret, []Subject{{ID: first.ID, ExpiresAt: exp}})
	if err != nil || !decided[key.Canonical()] || !decided[other.Canonical()] || len(decided) != 2 {
		t.Errorf("DecidedNotices = %v, %v", decided, err)
	}
	if decided, err := s.DecidedNotices(ctx, KindClientSecret, []Subject{{ID: first.ID, ExpiresAt: exp.Add(time.Second)}}); err != nil || len(decided) != 0 {
		t.Errorf("DecidedNotices for another expiry = %v, %v; want none", decided, err)
	}
	// An entry for an expiry the secret no longer has (it was renewed
	// after the run read it) is left out, and the others go in.
	stale := key
	stale.ExpiresAt = exp.Add(time.Hour)
	fresh := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeExpired}
	var got []int
	err = s.decideNotices(ctx, []LedgerEntry{{NoticeKey: stale, Recipient: "u1", Channel: ChannelEmail}, {NoticeKey: fresh, Recipient: "u1", Channel: ChannelEmail}},
		"d", exp, func(i int, _ uint64) { got = append(got, i) })
	if err != nil || len(got) != 1 || got[0] != 1 {
		t.Errorf("deciding a stale and a fresh entry: inserted %v, %v; want only the fresh one", got, err)
	}
	// And the database refuses such a row outright.
	bad := NotificationLedger{SecretID: first.ID, ExpiresAt: stale.ExpiresAt, Event: NoticeExpired, Recipient: "u1", Channel: ChannelUI,
		Status: LedgerSent, Claim: "d", LeaseUntil: exp, CreatedAt: exp}
	if err := s.db.Omit("Secret").Create(&bad).Error; err == nil {
		t.Error("a ledger row for an expiry the secret does not have was stored")
	}
	rows, _ := s.LedgerRows(ctx, first.ID)
	if len(rows) != 4 {
		t.Errorf("%d ledger rows, want 4", len(rows))
	}
	for _, r := range rows {
		want := "a"
		switch {
		case r.Event == NoticeExpired:
			want = "d"
		case r.Threshold == 1:
			want = "b"
		}
		if r.Claim != want || r.Status != LedgerPending {
			t.Errorf("row %+v: want claim %s, pending", r, want)
		}
	}
}

func TestDueSecretsPaging(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	a, first := newTestApp(t, s, "App")
	s.SecretsMax = 100
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []string{}
	// 25 secrets, in ties of five on the same instant, and one never
	// expiring, one beyond the horizon.
	if err := s.SetSecretExpiry(ctx, first.ID, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 25 {
		ns, err := s.CreateSecret(ctx, a.ID, fmt.Sprint("s", i))
		if err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i/5) * time.Hour)
		if err := s.SetSecretExpiry(ctx, ns.ID, &at); err != nil {
			t.Fatal(err)
		}
		want = append(want, ns.ID)
	}
	late, _ := s.CreateSecret(ctx, a.ID, "late")
	at := base.Add(100 * time.Hour)
	_ = s.SetSecretExpiry(ctx, late.ID, &at)

	var got []string
	var cursor *DueCursor
	pages := 0
	for {
		page, err := s.DueSecrets(ctx, base.Add(10*time.Hour), cursor, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages++
		for _, d := range page {
			got = append(got, d.ID)
			if d.ApplicationName != "App" || d.DomainName != "Domain of App" || d.DomainHRID == "" || d.ClientID == "" {
				t.Fatalf("due secret lacks names: %+v", d)
			}
		}
		last := page[len(page)-1]
		cursor = &DueCursor{ExpiresAt: last.ExpiresAt, ID: last.ID}
	}
	if len(got) != 25 || pages != 7 {
		t.Fatalf("paged %d secrets in %d pages, want 25 in 7", len(got), pages)
	}
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("secret %s returned twice", id)
		}
		seen[id] = true
	}
	// Once "expired" is decided for a secret's expiry, the scan skips it.
	if err := s.decideNotices(ctx, []LedgerEntry{{NoticeKey: NoticeKey{SubjectID: want[0], ExpiresAt: base, Event: NoticeExpired}, Recipient: LogRecipient, Channel: ChannelLog}}, "r", base, nil); err != nil {
		t.Fatal(err)
	}
	page, err := s.DueSecrets(ctx, base.Add(10*time.Hour), nil, 100)
	if err != nil || len(page) != 24 {
		t.Fatalf("after the expired decision: %d due, %v; want 24", len(page), err)
	}
}

// The scan's query walks the expires_at index instead of reading the table.
func TestDueSecretsUsesIndex(t *testing.T) {
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
		return dueQuery(tx, at, &DueCursor{ExpiresAt: at, ID: "x"}, 1000).Scan(&[]Subject{})
	})
	if err := s.db.Raw("EXPLAIN QUERY PLAN " + query).Scan(&plan).Error; err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, p := range plan {
		details = append(details, p.Detail)
	}
	text := strings.Join(details, "\n")
	t.Log(text)
	if !strings.Contains(text, "idx_client_secrets_expiry") || strings.Contains(text, "TEMP B-TREE") {
		t.Errorf("query plan does not walk idx_client_secrets_expiry in order:\n%s", text)
	}
}

func TestDomainSecretsExpiring(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	a, first := newTestApp(t, s, "App")
	set := func(id string, d time.Duration) {
		at := now.Add(d)
		if err := s.SetSecretExpiry(ctx, id, &at); err != nil {
			t.Fatal(err)
		}
	}
	set(first.ID, 40*24*time.Hour)
	soon, _ := s.CreateSecret(ctx, a.ID, "soon")
	set(soon.ID, 3*24*time.Hour)
	gone, _ := s.CreateSecret(ctx, a.ID, "gone")
	set(gone.ID, -time.Hour)
	never, _ := s.CreateSecret(ctx, a.ID, "never")
	if err := s.SetSecretExpiry(ctx, never.ID, nil); err != nil {
		t.Fatal(err)
	}
	list, total, err := s.DomainSecretsExpiring(ctx, a.DomainID, 30*24*time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(list) != 2 || list[0].Description != "gone" || list[1].Description != "soon" || list[1].ApplicationName != "App" {
		t.Errorf("expiring = %+v (total %d), want gone then soon", list, total)
	}
	if list, total, _ := s.DomainSecretsExpiring(ctx, a.DomainID, 30*24*time.Hour, 1); len(list) != 1 || total != 2 {
		t.Errorf("limited list = %d of %d, want 1 of 2", len(list), total)
	}
}

// Ledger values reach the database as they are, whatever they hold (on
// SQLite they travel inside a JSON document).
func TestDecideNoticesKeepsValues(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 123456000, time.UTC))
	url := `https://hooks.example.com/a?b=1&c=<2>&d="é"\x`
	key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeWillExpire, Threshold: 15}
	var got []uint64
	err := s.decideNotices(ctx, []LedgerEntry{{NoticeKey: key, Recipient: url, Channel: ChannelWebhook}}, "claim-1",
		exp.Add(time.Hour), func(_ int, id uint64) { got = append(got, id) })
	if err != nil || len(got) != 1 {
		t.Fatalf("DecideNotices = %v, %v", got, err)
	}
	rows, err := s.LedgerRows(ctx, first.ID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	r := rows[0]
	if r.ID != got[0] || r.Recipient != url || r.Channel != ChannelWebhook || r.Threshold != 15 || r.Event != NoticeWillExpire ||
		!r.ExpiresAt.Equal(exp) || r.Status != LedgerPending || r.Claim != "claim-1" || !r.LeaseUntil.Equal(exp.Add(time.Hour)) || r.SentAt != nil {
		t.Errorf("row = %+v", r)
	}
}

// An entry given twice is one ledger row and one console notice, reported
// once, on both databases.
func TestDecideNoticesDuplicateEntry(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ann@example.com")
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e := LedgerEntry{NoticeKey: NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeExpired}, Recipient: u.ID, Channel: ChannelUI}
	calls := 0
	if err := s.decideNotices(ctx, []LedgerEntry{e, e}, "run", exp, func(int, uint64) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.LedgerRows(ctx, first.ID); len(rows) != 1 || calls != 1 {
		t.Errorf("%d rows, %d calls; want 1 and 1", len(rows), calls)
	}
	if n, err := s.UnreadNotificationCount(ctx, u.ID); err != nil || n != 1 {
		t.Errorf("console notices = %d, %v; want 1", n, err)
	}
}

// A decision racing a renewal: the renewal has locked and changed the
// secret but not committed when the decision inserts. The decision waits,
// then leaves the secret out (PostgreSQL: its foreign-key check fails once
// the renewal commits, and the decision is made again; SQLite: it waits
// for the write lock), and the renewal commits.
func TestDecideNoticesRacingRenewal(t *testing.T) {
	s, _, _ := openTestStore(t)
	ctx := context.Background()
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	renewal := s.db.Begin()
	if err := resetNotices(renewal, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := renewal.Model(&ClientSecret{}).Where("id = ?", first.ID).Update("expires_at", exp.Add(90*24*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	calls := 0
	go func() {
		key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: NoticeExpired}
		done <- s.decideNotices(ctx, []LedgerEntry{{NoticeKey: key, Recipient: LogRecipient, Channel: ChannelLog, Sent: true}},
			"run", exp, func(int, uint64) { calls++ })
	}()
	time.Sleep(200 * time.Millisecond) // the decision is waiting on the renewal
	if err := renewal.Commit().Error; err != nil {
		t.Fatalf("the renewal failed: %v", err)
	}
	select {
	case err := <-done:
		if err != nil || calls != 0 {
			t.Errorf("decision = %v with %d rows; want no error and nothing inserted", err, calls)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the decision did not finish")
	}
	if rows, err := s.LedgerRows(ctx, first.ID); err != nil || len(rows) != 0 {
		t.Errorf("ledger rows = %+v, %v; want none", rows, err)
	}
}
