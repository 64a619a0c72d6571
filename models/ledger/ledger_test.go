package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"latchkey/internal/testdb"
	"latchkey/models"
)

func TestNotificationsReadUnread(t *testing.T) {
	s, l := openTestStore(t)
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
		if err := l.decideNotices(ctx, []LedgerEntry{{NoticeKey: NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeWillExpire, Threshold: days}, Recipient: ann.ID, Channel: models.ChannelUI}}, "run", at, nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.LedgerRows(ctx, first.ID)
	if err != nil || len(rows) != 3 {
		t.Fatalf("ledger rows = %d, %v", len(rows), err)
	}
	for _, r := range rows {
		if r.Status != models.LedgerSent {
			t.Errorf("console row %d is %s, want sent", r.ID, r.Status)
		}
	}
	count := func(u *models.User) int64 {
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
		n.Kind != models.KindClientSecret.Name || n.DomainID != a.DomainID || !n.CreatedAt.Equal(at) ||
		n.Title != "Client secret “"+first.Description+"” of App expires in 20 days" ||
		!strings.Contains(n.Message, "in domain ") || !strings.Contains(n.Message, exp.Format(models.NoticeDateFormat)) {
		t.Errorf("newest notice = %+v", n)
	}
	for _, id := range []string{"", "x", "-1", "99999"} {
		if err := s.MarkNotificationRead(ctx, ann.ID, id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("marking %q: %v, want models.ErrNotFound", id, err)
		}
	}
	if err := s.MarkNotificationRead(ctx, ben.ID, unread[0].ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("ben marking ann's notice: %v, want models.ErrNotFound", err)
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
	if _, err := s.RenewSecret(ctx, models.Actor{}, a.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Notifications(ctx, ann.ID, 1, 50); err != nil || p.Total != 0 || len(p.Notifications) != 0 {
		t.Errorf("after renewal: %+v, %v", p, err)
	}
}

// A console row for a user deleted meanwhile is decided without a notice;
// the others get theirs.
func TestDecideNoticesDeletedUser(t *testing.T) {
	s, l := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ann@example.com")
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeExpired}
	err := l.decideNotices(ctx, []LedgerEntry{{NoticeKey: key, Recipient: "gone-user", Channel: models.ChannelUI}, {NoticeKey: key, Recipient: u.ID, Channel: models.ChannelUI}}, "run", exp, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := s.DB().Model(&models.Notification{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("notices = %d, %v; want 1 (ann's)", n, err)
	}
}

func TestDecideNoticesOnce(t *testing.T) {
	s, l := openTestStore(t)
	ctx := context.Background()
	app, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeWillExpire, Threshold: 5}
	entries := []LedgerEntry{
		{NoticeKey: key, Recipient: "u1", Channel: models.ChannelEmail},
		{NoticeKey: key, Recipient: models.LogRecipient, Channel: models.ChannelLog},
	}
	n := 0
	count := func(int, uint64) { n++ }
	err := l.decideNotices(ctx, entries, "a", exp, count)
	if err != nil || n != 2 {
		t.Fatalf("first decision inserted %d, %v", n, err)
	}
	other := key
	other.Threshold = 1
	n = 0
	err = l.decideNotices(ctx, append(entries, LedgerEntry{NoticeKey: other, Recipient: "u1", Channel: models.ChannelEmail}), "b", exp, count)
	if err != nil || n != 1 {
		t.Fatalf("second decision inserted %d, %v; want only the new key", n, err)
	}
	// A secret expiring at the same moment, not asked about, is left out.
	second, err := s.CreateSecret(ctx, models.Actor{}, app.ID, "Second")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSecretExpiry(ctx, second.ID, &exp); err != nil {
		t.Fatal(err)
	}
	secondKey := NoticeKey{SubjectID: second.ID, ExpiresAt: exp, Event: models.NoticeExpired}
	if err := l.decideNotices(ctx, []LedgerEntry{{NoticeKey: secondKey, Recipient: "u1", Channel: models.ChannelEmail}}, "c", exp, nil); err != nil {
		t.Fatal(err)
	}
	decided, err := l.DecidedNotices(ctx, models.KindClientSecret, []models.Subject{{ID: first.ID, ExpiresAt: exp}})
	if err != nil || !decided[key.Canonical()] || !decided[other.Canonical()] || len(decided) != 2 {
		t.Errorf("DecidedNotices = %v, %v", decided, err)
	}
	if decided, err := l.DecidedNotices(ctx, models.KindClientSecret, []models.Subject{{ID: first.ID, ExpiresAt: exp.Add(time.Second)}}); err != nil || len(decided) != 0 {
		t.Errorf("DecidedNotices for another expiry = %v, %v; want none", decided, err)
	}
	// An entry for an expiry the secret no longer has (it was renewed
	// after the run read it) is left out, and the others go in.
	stale := key
	stale.ExpiresAt = exp.Add(time.Hour)
	fresh := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeExpired}
	var got []int
	err = l.decideNotices(ctx, []LedgerEntry{{NoticeKey: stale, Recipient: "u1", Channel: models.ChannelEmail}, {NoticeKey: fresh, Recipient: "u1", Channel: models.ChannelEmail}},
		"d", exp, func(i int, _ uint64) { got = append(got, i) })
	if err != nil || len(got) != 1 || got[0] != 1 {
		t.Errorf("deciding a stale and a fresh entry: inserted %v, %v; want only the fresh one", got, err)
	}
	// And the database refuses such a row outright.
	bad := models.NotificationLedger{SecretID: first.ID, ExpiresAt: stale.ExpiresAt, Event: models.NoticeExpired, Recipient: "u1", Channel: models.ChannelUI,
		Status: models.LedgerSent, Claim: "d", LeaseUntil: exp, CreatedAt: exp}
	if err := s.DB().Omit("Secret").Create(&bad).Error; err == nil {
		t.Error("a ledger row for an expiry the secret does not have was stored")
	}
	rows, _ := s.LedgerRows(ctx, first.ID)
	if len(rows) != 4 {
		t.Errorf("%d ledger rows, want 4", len(rows))
	}
	for _, r := range rows {
		want := "a"
		switch {
		case r.Event == models.NoticeExpired:
			want = "d"
		case r.Threshold == 1:
			want = "b"
		}
		if r.Claim != want || r.Status != models.LedgerPending {
			t.Errorf("row %+v: want claim %s, pending", r, want)
		}
	}
}

// Ledger values reach the database as they are, whatever they hold (on
// SQLite they travel inside a JSON document).
func TestDecideNoticesKeepsValues(t *testing.T) {
	s, l := openTestStore(t)
	ctx := context.Background()
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 123456000, time.UTC))
	url := `https://hooks.example.com/a?b=1&c=<2>&d="é"\x`
	key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeWillExpire, Threshold: 15}
	var got []uint64
	err := l.decideNotices(ctx, []LedgerEntry{{NoticeKey: key, Recipient: url, Channel: models.ChannelWebhook}}, "claim-1",
		exp.Add(time.Hour), func(_ int, id uint64) { got = append(got, id) })
	if err != nil || len(got) != 1 {
		t.Fatalf("DecideNotices = %v, %v", got, err)
	}
	rows, err := s.LedgerRows(ctx, first.ID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
	r := rows[0]
	if r.ID != got[0] || r.Recipient != url || r.Channel != models.ChannelWebhook || r.Threshold != 15 || r.Event != models.NoticeWillExpire ||
		!r.ExpiresAt.Equal(exp) || r.Status != models.LedgerPending || r.Claim != "claim-1" || !r.LeaseUntil.Equal(exp.Add(time.Hour)) || r.SentAt != nil {
		t.Errorf("row = %+v", r)
	}
}

// An entry given twice is one ledger row and one console notice, reported
// once, on both databases.
func TestDecideNoticesDuplicateEntry(t *testing.T) {
	s, l := openTestStore(t)
	ctx := context.Background()
	u := newTestUser(t, s, "ann@example.com")
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e := LedgerEntry{NoticeKey: NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeExpired}, Recipient: u.ID, Channel: models.ChannelUI}
	calls := 0
	if err := l.decideNotices(ctx, []LedgerEntry{e, e}, "run", exp, func(int, uint64) { calls++ }); err != nil {
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
	s, l := openTestStore(t)
	ctx := context.Background()
	_, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	renewal := s.DB().Begin()
	if err := models.ResetSecretNotices(renewal, first.ID); err != nil {
		t.Fatal(err)
	}
	if err := renewal.Model(&models.ClientSecret{}).Where("id = ?", first.ID).Update("expires_at", exp.Add(90*24*time.Hour)).Error; err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	calls := 0
	go func() {
		key := NoticeKey{SubjectID: first.ID, ExpiresAt: exp, Event: models.NoticeExpired}
		done <- l.decideNotices(ctx, []LedgerEntry{{NoticeKey: key, Recipient: models.LogRecipient, Channel: models.ChannelLog, Sent: true}},
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

// A Decider puts several pages in one transaction on SQLite (one per page
// on PostgreSQL): a stale entry on a later page leaves out only itself,
// the pages before it stay, and what was not committed when it is closed
// is not stored.
func TestDeciderPages(t *testing.T) {
	s, l := openTestStore(t)
	ctx := context.Background()
	a, first, exp := newExpiringApp(t, s, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var ids []string
	for _, name := range []string{"second", "third", "fourth"} {
		ns, err := s.CreateSecret(ctx, models.Actor{}, a.ID, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetSecretExpiry(ctx, ns.ID, &exp); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ns.ID)
	}
	entry := func(secretID string, at time.Time) LedgerEntry {
		return LedgerEntry{NoticeKey: NoticeKey{SubjectID: secretID, ExpiresAt: at, Event: models.NoticeExpired}, Recipient: models.LogRecipient, Channel: models.ChannelLog}
	}
	// One connection, so that the Decider's is the one checked at the end,
	// and its checkpointer never gets one (Close must not wait for it).
	sqlDB, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	commits := 0
	d := l.NewDecider(ctx, "run", exp, DeciderHooks{Committed: func() { commits++ }})
	var decided []string
	page := func(entries ...LedgerEntry) {
		t.Helper()
		err := d.Decide(models.KindClientSecret, entries, func(i int, _ uint64) { decided = append(decided, entries[i].SubjectID) })
		if err != nil {
			t.Fatal(err)
		}
	}
	page(entry(first.ID, exp))
	// The second secret's entry names an expiry it does not have (it was
	// renewed after the run read it).
	page(entry(ids[0], exp.Add(time.Hour)), entry(ids[1], exp))
	wantCommits := 0 // SQLite: both pages wait in one transaction
	if testdb.Postgres() {
		wantCommits = 2
	}
	if commits != wantCommits {
		t.Errorf("%d commits after two pages, want %d", commits, wantCommits)
	}
	if err := d.Commit(); err != nil {
		t.Fatal(err)
	}
	if want := max(wantCommits, 1); commits != want {
		t.Errorf("%d commits after Commit, want %d", commits, want)
	}
	if len(decided) != 2 || decided[0] != first.ID || decided[1] != ids[1] {
		t.Errorf("decided %v, want the first and third secrets", decided)
	}
	// A page left uncommitted is gone once the Decider is closed (on
	// PostgreSQL it was committed at once).
	page(entry(ids[2], exp))
	d.Close()
	last := 0
	if testdb.Postgres() {
		last = 1
	}
	for id, want := range map[string]int{first.ID: 1, ids[0]: 0, ids[1]: 1, ids[2]: last} {
		if rows, err := s.LedgerRows(ctx, id); err != nil || len(rows) != want {
			t.Errorf("secret %s has %d rows (%v), want %d", id, len(rows), err, want)
		}
	}
	// The connection went back to the pool with SQLite's defaults.
	if !testdb.Postgres() {
		for pragma, want := range map[string]int{"cache_size": -2000, "wal_autocheckpoint": 1000} {
			var got int
			if err := s.DB().Raw("PRAGMA " + pragma).Row().Scan(&got); err != nil || got != want {
				t.Errorf("%s after the Decider = %d, %v; want %d", pragma, got, err, want)
			}
		}
	}
}
