package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"latchkey/models"
	"latchkey/models/ledger"
)

// what lists, oldest first, the console notices delivered to u about the
// world's secrets as "EVENT/threshold", from the ledger, after checking that
// u has exactly one console notice per delivered ledger row.
func what(u *models.User, w *world) []string {
	w.t.Helper()
	out := uiRows(u, w)
	if n := len(w.notices(u)); n != len(out) {
		w.t.Errorf("%s has %d console notices for %d delivered ledger rows", u.Name, n, len(out))
	}
	return out
}

// uiRows lists, oldest first, the delivered console rows of the ledger for
// u about the world's secrets as "EVENT/threshold".
func uiRows(u *models.User, w *world) []string {
	w.t.Helper()
	var out []string
	secrets, err := w.store.Secrets(w.ctx, w.app.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	var rows []models.NotificationLedger
	for _, s := range secrets {
		rows = append(rows, w.ledger(s.ID)...)
	}
	slices.SortFunc(rows, func(a, b models.NotificationLedger) int { return int(a.ID) - int(b.ID) })
	for _, r := range rows {
		if r.Channel == models.ChannelUI && r.Recipient == u.ID && r.Status == models.LedgerSent {
			out = append(out, fmt.Sprintf("%s/%d", strings.TrimPrefix(r.Event, "CLIENT_SECRET_"), r.Threshold))
		}
	}
	return out
}

func TestThresholdsCrossedOneByOne(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	w.expireIn(w.secret, 25*day)

	// One run a day, at the same time, from 25 days before expiry to 2 days
	// after: each threshold is announced on the day it is crossed, then
	// "expired" once.
	sentOn := map[int]int{} // day → notices sent to alice that day
	for d := 0; d <= 27; d++ {
		before := len(w.notices(w.alice))
		w.run(n)
		if got := len(w.notices(w.alice)) - before; got > 0 {
			sentOn[d] = got
		}
		w.clock.Advance(day)
	}
	want := map[int]int{5: 1, 10: 1, 15: 1, 20: 1, 24: 1, 25: 1}
	if fmt.Sprint(sentOn) != fmt.Sprint(want) {
		t.Errorf("notices by day = %v, want %v (20, 15, 10, 5 and 1 days before, then expired)", sentOn, want)
	}
	got := what(w.alice, w)
	if wantSeq := []string{"WILL_EXPIRE/20", "WILL_EXPIRE/15", "WILL_EXPIRE/10", "WILL_EXPIRE/5", "WILL_EXPIRE/1", "EXPIRED/0"}; !slices.Equal(got, wantSeq) {
		t.Errorf("alice's notices = %v, want %v", got, wantSeq)
	}
	ns := w.notices(w.alice)
	if last := ns[len(ns)-1]; !strings.Contains(last.Title, "has expired") || last.DomainID != w.domain.ID || last.ApplicationID != w.app.ID {
		t.Errorf("expired notice = %q about %s/%s", last.Title, last.DomainID, last.ApplicationID)
	}
	if first := ns[0]; !strings.Contains(first.Title, "expires in 20 days") || !strings.Contains(first.Message, "Payments") {
		t.Errorf("first notice = %q / %q", first.Title, first.Message)
	}
}

func TestThresholdsCrossedAllAtOnce(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	// First seen 3 days before expiry: 20, 15, 10 and 5 are all crossed;
	// one notice, for 5.
	w.expireIn(w.secret, 3*day)
	r := w.run(n)
	if got := what(w.alice, w); !slices.Equal(got, []string{"WILL_EXPIRE/5"}) {
		t.Fatalf("after the first run alice has %v, want one notice for the 5-day threshold", got)
	}
	// Alice and Bob, console and log; Carol is disabled.
	if r.Decided != 3 || r.Sent != 3 || r.Scanned != 1 {
		t.Errorf("run = %+v, want 1 scanned, 3 decided and sent (ui alice, ui bob, log)", r)
	}
	// Same moment: nothing new, and nothing even tried (the decided
	// notices are recognised before any insert).
	n.beforeInsert = func() { t.Error("a repeated run tried to insert notices already decided") }
	w.run(n)
	n.beforeInsert = nil
	w.clock.Advance(2*day + 12*time.Hour)
	w.run(n)
	w.clock.Advance(day)
	w.run(n)
	w.run(n)
	if got := what(w.alice, w); !slices.Equal(got, []string{"WILL_EXPIRE/5", "WILL_EXPIRE/1", "EXPIRED/0"}) {
		t.Errorf("alice's notices = %v, want 5-day, 1-day, expired", got)
	}
	// Straight to expired: a secret first seen after it expired gets only
	// "expired".
	ns, err := w.store.CreateSecret(w.ctx, models.Actor{}, w.app.ID, "old")
	if err != nil {
		t.Fatal(err)
	}
	w.expireIn(ns.ID, -40*day)
	w.run(n)
	w.run(n)
	var old []string
	for _, x := range w.notices(w.bob) {
		if x.SubjectID == ns.ID {
			old = append(old, x.Event)
		}
	}
	if !slices.Equal(old, []string{models.NoticeExpired}) {
		t.Errorf("a secret expired 40 days ago got %v, want one EXPIRED", old)
	}
}

func TestRecipients(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	// Dave owns both the domain and the application of a second app: one
	// notice. Erin has no... every user has an e-mail; see the e-mail test.
	dave, err := w.store.CreateUser(w.ctx, models.Actor{}, models.NewUser{Email: "dave@example.com", Name: "Dave Both", Password: "a-long-password-123", Role: models.RoleViewer})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.store.UpdateDomain(w.ctx, models.Actor{}, w.domain.ID, models.DomainInput{Name: w.domain.Name, HRID: w.domain.HRID, Enabled: true,
		OwnerIDs: []string{w.alice.ID, w.carol.ID, dave.ID}}); err != nil {
		t.Fatal(err)
	}
	a2, first, err := w.store.CreateApplication(w.ctx, models.Actor{}, w.domain.ID, models.ApplicationInput{Name: "Ledger", Type: models.AppTypeService, OwnerID: dave.ID})
	if err != nil {
		t.Fatal(err)
	}
	_ = a2
	w.expireIn(first.ID, 2*day)
	w.expireIn(w.secret, 2*day)
	w.run(n)
	count := func(u *models.User, secret string) int {
		c := 0
		for _, x := range w.notices(u) {
			if x.SubjectID == secret {
				c++
			}
		}
		return c
	}
	checks := []struct {
		who    *models.User
		secret string
		want   int
	}{
		{w.alice, w.secret, 1}, {w.bob, w.secret, 1}, {dave, w.secret, 1}, {w.carol, w.secret, 0},
		{w.alice, first.ID, 1}, {w.bob, first.ID, 0}, {dave, first.ID, 1}, {w.carol, first.ID, 0},
	}
	for _, c := range checks {
		if got := count(c.who, c.secret); got != c.want {
			t.Errorf("%s got %d notices about %s, want %d", c.who.Name, got, c.secret, c.want)
		}
	}
	// A disabled application owner gets nothing either.
	if _, err := w.store.UpdateUser(w.ctx, models.Actor{UserID: w.alice.ID}, w.bob.ID, models.UserUpdate{Name: w.bob.Name, Role: models.RoleAdmin, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(day + time.Hour)
	w.run(n)
	if got := count(w.bob, w.secret); got != 1 {
		t.Errorf("disabled Bob has %d notices about the secret, want still 1", got)
	}
	if got := count(w.alice, w.secret); got != 2 {
		t.Errorf("Alice has %d notices, want 2 (5 days, 1 day)", got)
	}
}

func TestNoExpiryNeverNotifies(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		t.Fatal(err)
	}
	far, err := w.store.CreateSecret(w.ctx, models.Actor{}, w.app.ID, "far")
	if err != nil {
		t.Fatal(err)
	}
	w.expireIn(far.ID, 22*day) // beyond the largest threshold, even a day later
	for range 3 {
		r := w.run(n)
		if r.Scanned != 0 || r.Decided != 0 {
			t.Errorf("run = %+v, want nothing scanned", r)
		}
		w.clock.Advance(12 * time.Hour)
	}
	if ns := w.notices(w.alice); len(ns) != 0 {
		t.Errorf("alice has %d notices, want none", len(ns))
	}
}

func TestRenewResets(t *testing.T) {
	w := newWorld(t)
	// Secrets of this domain expire 3 days after creation or renewal.
	if _, _, err := w.store.UpdateDomainSecretPolicy(w.ctx, models.Actor{}, w.domain.ID, models.ExpiryInput{Enabled: true, Unit: models.UnitDays, Duration: "3"}); err != nil {
		t.Fatal(err)
	}
	n := w.notifier(nil)
	w.expireIn(w.secret, 3*day)
	w.run(n)
	w.clock.Advance(2*day + time.Hour)
	w.run(n)
	if got := what(w.alice, w); !slices.Equal(got, []string{"WILL_EXPIRE/5", "WILL_EXPIRE/1"}) {
		t.Fatalf("before renewal alice has %v", got)
	}
	if _, err := w.store.RenewSecret(w.ctx, models.Actor{}, w.app.ID, w.secret); err != nil {
		t.Fatal(err)
	}
	// Renewal forgets what was decided for the old expiry, and takes its
	// console notices off the bell: there is nothing left to do about them.
	if rows := w.ledger(w.secret); len(rows) != 0 {
		t.Errorf("the renewed secret still has %d ledger rows", len(rows))
	}
	if got := len(w.notices(w.alice)); got != 0 {
		t.Errorf("alice still has %d console notices about the renewed expiry", got)
	}
	// The renewed secret starts again: 5 days, 1 day, expired.
	w.run(n)
	w.clock.Advance(2*day + time.Hour)
	w.run(n)
	w.clock.Advance(day)
	w.run(n)
	if got, want := uiRows(w.alice, w), []string{"WILL_EXPIRE/5", "WILL_EXPIRE/1", "EXPIRED/0"}; !slices.Equal(got, want) {
		t.Errorf("after renewal alice was sent %v, want %v", got, want)
	}
	if got := len(w.notices(w.alice)); got != 3 {
		t.Errorf("alice has %d console notices, want the 3 about the new expiry", got)
	}
}

func TestDeleteResets(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	ns, err := w.store.CreateSecret(w.ctx, models.Actor{}, w.app.ID, "rotating")
	if err != nil {
		t.Fatal(err)
	}
	w.expireIn(ns.ID, 4*day)
	w.run(n)
	if rows := w.ledger(ns.ID); len(rows) != 3 {
		t.Fatalf("ledger has %d rows for the secret, want 3", len(rows))
	}
	if _, err := w.store.DeleteSecret(w.ctx, models.Actor{}, w.app.ID, ns.ID, nil); err != nil {
		t.Fatal(err)
	}
	if rows := w.ledger(ns.ID); len(rows) != 0 {
		t.Errorf("the deleted secret left %d ledger rows", len(rows))
	}
	rotating := func() (c int) {
		for _, x := range w.notices(w.alice) {
			if strings.Contains(x.Title, "“rotating”") && x.Event == models.NoticeWillExpire {
				c++
			}
		}
		return c
	}
	if c := rotating(); c != 0 {
		t.Errorf("alice has %d notices about the deleted secret, want none", c)
	}
	// A new secret of the same name is a new secret: it is announced.
	again, err := w.store.CreateSecret(w.ctx, models.Actor{}, w.app.ID, "rotating")
	if err != nil {
		t.Fatal(err)
	}
	w.expireIn(again.ID, 4*day)
	w.run(n)
	if c := rotating(); c != 1 {
		t.Errorf("alice has %d notices about “rotating”, want 1 (the new secret's)", c)
	}
	// Deleting the application takes its ledger rows too.
	if _, err := w.store.DeleteApplication(w.ctx, models.Actor{}, w.domain.ID, w.app.ID); err != nil {
		t.Fatal(err)
	}
	if rows := w.ledger(again.ID); len(rows) != 0 {
		t.Errorf("the deleted application left %d ledger rows", len(rows))
	}
	// And its console notices.
	if got := len(w.notices(w.alice)); got != 0 {
		t.Errorf("alice has %d notices after the deletion, want none", got)
	}
}

func TestDisabledChannels(t *testing.T) {
	w := newWorld(t)
	w.cfg.Notifiers.UI.Enabled = false
	w.cfg.Notifiers.Log.Enabled = false
	n := w.notifier(nil)
	if ch := n.Channels(); len(ch) != 0 {
		t.Fatalf("channels = %v, want none", ch)
	}
	w.expireIn(w.secret, day)
	r := w.run(n)
	if r.Decided != 0 || len(w.notices(w.alice)) != 0 || strings.Contains(w.logs.String(), "expires in") {
		t.Errorf("with every channel off: run %+v, %d notices", r, len(w.notices(w.alice)))
	}
	// Switching the console on later still announces the current threshold.
	w.cfg.Notifiers.UI.Enabled = true
	w.run(w.notifier(nil))
	if got := what(w.alice, w); !slices.Equal(got, []string{"WILL_EXPIRE/1"}) {
		t.Errorf("alice has %v, want the 1-day notice", got)
	}
}

func TestEnabled(t *testing.T) {
	w := newWorld(t)
	if !Enabled(w.cfg) {
		t.Error("the default configuration should run the notifier")
	}
	w.cfg.Services.Notifier.Enabled = false
	if Enabled(w.cfg) {
		t.Error("services.notifier.enabled=false should stop it")
	}
	w.cfg.Services.Notifier.Enabled = true
	w.cfg.Services.Notifier.ClientSecret.Enabled = false
	w.cfg.Services.Notifier.Certificate.Enabled = false
	w.cfg.Services.Notifier.ClientCertificate.Enabled = false
	if Enabled(w.cfg) {
		t.Error("services.notifier.client-secret.enabled=false should stop it")
	}
}

func TestLogChannel(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	w.expireIn(w.secret, -time.Minute)
	w.run(n)
	w.run(n)
	logs := w.logs.String()
	if c := strings.Count(logs, "has expired"); c != 1 {
		t.Errorf("the log has %d expired lines, want 1:\n%s", c, logs)
	}
	for _, want := range []string{"level=WARN", "domain=Payments", `application="Billing API"`, "secret=Default", "event=CLIENT_SECRET_EXPIRED",
		"link=https://keys.example.com/domains/" + w.domain.ID + "/applications/" + w.app.ID + "/secrets"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log line lacks %s:\n%s", want, logs)
		}
	}
}

// A crash between deciding and delivering leaves pending rows, which a
// later run delivers once their lease has run out: delayed, not lost. The
// console notice and the log line are written with the decision, so they
// are there at once, and once.
func TestCrashBetweenDecideAndDeliver(t *testing.T) {
	h := startHook(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL)
	crashing := w.notifier(nil)
	crashing.afterDecide = func() error { return errors.New("simulated crash") }
	w.expireIn(w.secret, 2*day)
	if _, err := crashing.Run(w.ctx); err == nil {
		t.Fatal("want the simulated crash")
	}
	events := func() int { ev, _, _, _ := h.snapshot(); return len(ev) }
	logLines := func() int { return strings.Count(w.logs.String(), "secretId="+w.secret) }
	if events() != 0 {
		t.Fatal("the webhook was called despite the crash")
	}
	if got := what(w.alice, w); !slices.Equal(got, []string{"WILL_EXPIRE/5"}) || logLines() != 1 {
		t.Fatalf("alice has %v and the log %d lines, want the console notice and the log line written with the decision", got, logLines())
	}
	n := w.notifier(nil)
	r := w.run(n) // the lease still holds: another process may be delivering
	if r.Retried != 0 || events() != 0 {
		t.Fatalf("took over a live lease: %+v", r)
	}
	w.clock.Advance(DefaultLease)
	r = w.run(n)
	if r.Retried != 1 || r.Sent != 1 || r.Decided != 0 {
		t.Errorf("after the lease: %+v, want the webhook row retried and sent, nothing decided", r)
	}
	w.run(n)
	if events() != 1 || logLines() != 1 {
		t.Errorf("%d webhook events and %d log lines for the notice, want 1 each", events(), logLines())
	}
	if got := what(w.alice, w); !slices.Equal(got, []string{"WILL_EXPIRE/5"}) {
		t.Errorf("alice has %v, want the 5-day notice once", got)
	}
}

func TestDryRun(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	w.expireIn(w.secret, 4*day)
	plan, err := n.DryRun(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range plan {
		lines = append(lines, fmt.Sprintf("%s/%d %s %s", p.Event, p.Threshold, p.Channel, p.Recipient))
	}
	want := []string{
		"CLIENT_SECRET_WILL_EXPIRE/5 ui Alice Owner <alice@example.com>",
		"CLIENT_SECRET_WILL_EXPIRE/5 ui Bob Appowner <bob@example.com>",
		"CLIENT_SECRET_WILL_EXPIRE/5 log log",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("dry run = %q, want %q", lines, want)
	}
	if rows := w.ledger(w.secret); len(rows) != 0 {
		t.Errorf("the dry run wrote %d ledger rows", len(rows))
	}
	w.run(n)
	if plan, _ := n.DryRun(w.ctx); len(plan) != 0 {
		t.Errorf("after the run the dry run still plans %v", plan)
	}
}

func TestRunRecorded(t *testing.T) {
	w := newWorld(t)
	n := w.notifier(nil)
	w.expireIn(w.secret, day)
	r := w.run(n)
	last, err := w.store.LastNotificationRun(w.ctx)
	if err != nil || last == nil || last.ID != r.ID || last.FinishedAt == nil || last.Sent != 3 {
		t.Fatalf("last run = %+v (%v), want %+v", last, err, r)
	}
	sent, err := w.store.RunNotices(w.ctx, last, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 || last.SentUI != 2 || last.SentLog != 1 || last.SentEmail != 0 {
		t.Errorf("run notices = %+v, run %+v", sent, last)
	}
	if sent[0].Recipient != "alice@example.com" && sent[0].Recipient != "bob@example.com" {
		t.Errorf("recipient shown as %q, want an e-mail address", sent[0].Recipient)
	}
}

// Console and log rows left pending (by an older version, say) are delivered
// by the next run like any other channel's, once.
func TestPendingConsoleAndLogRowsDelivered(t *testing.T) {
	w := newWorld(t)
	exp := w.expireIn(w.secret, 2*day)
	key := ledger.NoticeKey{SubjectID: w.secret, ExpiresAt: exp, Event: models.NoticeWillExpire, Threshold: 5}
	for _, r := range []string{w.alice.ID + " " + models.ChannelUI, models.LogRecipient + " " + models.ChannelLog} {
		recipient, channel, _ := strings.Cut(r, " ")
		w.pendingRow(key, recipient, channel, "an-older-run", w.clock.Now().Add(-time.Minute))
	}
	n := w.notifier(nil)
	r := w.run(n)
	if r.Retried != 2 || r.SentUI != 1 || r.SentLog != 1 {
		t.Errorf("run = %+v, want the two pending rows taken over and sent", r)
	}
	w.run(n)
	ns := w.notices(w.alice)
	if len(ns) != 1 || !strings.Contains(ns[0].Title, "expires in 2 days") {
		t.Errorf("alice's notices = %+v", ns)
	}
	if c := strings.Count(w.logs.String(), "secretId="+w.secret); c != 1 {
		t.Errorf("%d log lines, want 1", c)
	}
	// Bob, the application's owner, was not in the rows decided earlier;
	// the threshold's decision is made, so he is not told again now.
	if len(w.notices(w.bob)) != 0 {
		t.Errorf("bob got %d notices", len(w.notices(w.bob)))
	}
}

// A run on a pool of one connection (database.maxOpenConns: 1) finishes:
// the reader and the deciding transactions take turns.
func TestRunWithOneConnection(t *testing.T) {
	w := newWorld(t)
	ids := w.expiringSecrets(9)
	sqlDB, err := w.store.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	n := w.notifier(nil)
	n.pageSize = 2
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	type result struct {
		run *models.NotificationRun
		err error
	}
	done := make(chan result, 1)
	go func() {
		run, err := n.Run(ctx)
		done <- result{run, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.run.Decided != 3*len(ids) {
			t.Errorf("run = %+v, %v; want %d ledger rows decided", r.run, r.err, 3*len(ids))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not finish on one connection")
	}
}

// A run stopped half way (its context cancelled while it decides a page)
// returns, says why in its record, keeps the pages it decided, and leaves
// the rest to the next run, which announces each secret once.
func TestRunStoppedHalfWay(t *testing.T) {
	w := newWorld(t)
	ids := w.expiringSecrets(6)
	n := w.notifier(nil)
	n.pageSize = 2
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	pages := 0
	n.beforeInsert = func() {
		if pages++; pages == 2 {
			cancel()
		}
	}
	done := make(chan struct{})
	var run *models.NotificationRun
	var err error
	go func() {
		defer close(done)
		run, err = n.Run(ctx)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled run did not return")
	}
	if !errors.Is(err, context.Canceled) || run == nil || !strings.Contains(run.Error, "context canceled") {
		t.Fatalf("cancelled run = %+v, %v", run, err)
	}
	if last, err := w.store.LastNotificationRun(w.ctx); err != nil || last == nil || last.ID != run.ID || last.Error == "" {
		t.Errorf("recorded run = %+v, %v", last, err)
	}
	// The first page (two secrets) was decided and kept, though it was
	// waiting in a transaction with the next; the page the run was stopped
	// on was not decided.
	for i, id := range ids {
		want := 0
		if i < 2 {
			want = 3
		}
		if got := len(w.ledger(id)); got != want {
			t.Errorf("secret %d has %d ledger rows after the stopped run, want %d", i, got, want)
		}
	}
	if run.Decided != 6 || run.SentUI != 4 || run.SentLog != 2 {
		t.Errorf("the stopped run recorded %+v, want its first page's 6 rows", run)
	}
	if c := countLines(w.logs.String(), "secretId="); c != 2 {
		t.Errorf("%d log lines after the stopped run, want the first page's 2", c)
	}
	n.beforeInsert = nil
	w.run(n)
	for _, id := range ids {
		if got := len(w.ledger(id)); got != 3 {
			t.Errorf("secret %s has %d ledger rows after both runs, want 3 (alice, bob, log)", id, got)
		}
	}
	if got := len(w.notices(w.alice)); got != len(ids) {
		t.Errorf("alice has %d notices, want one per secret (%d)", got, len(ids))
	}
	if c := countLines(w.logs.String(), "secretId="); c != len(ids) {
		t.Errorf("%d log lines after both runs, want one per secret (%d)", c, len(ids))
	}
}

// A secret renewed, and one deleted, after the run read them and before it
// decided them: the run goes on, decides every other secret, and writes
// nothing for the old expiry or the deleted secret.
func TestRenewAndDeleteDuringRun(t *testing.T) {
	w := newWorld(t)
	ids := w.expiringSecrets(6)
	n := w.notifier(nil)
	n.pageSize = 2
	calls := 0
	n.beforeInsert = func() {
		if calls++; calls != 1 {
			return
		}
		// The first page holds s0 and s1.
		if _, err := w.store.RenewSecret(w.ctx, models.Actor{}, w.app.ID, ids[0]); err != nil {
			t.Error(err)
		}
		if _, err := w.store.DeleteSecret(w.ctx, models.Actor{}, w.app.ID, ids[1], nil); err != nil {
			t.Error(err)
		}
	}
	r, err := n.Run(w.ctx)
	if err != nil || r.Error != "" {
		t.Fatalf("run = %+v, %v", r, err)
	}
	if r.Decided != 4*3 {
		t.Errorf("run decided %d notices, want 12 (s2-s5: alice, bob, log)", r.Decided)
	}
	for i, id := range ids {
		rows := w.ledger(id)
		switch i {
		case 0:
			for _, row := range rows {
				if row.ExpiresAt.Before(w.clock.Now().Add(2 * time.Hour)) {
					t.Errorf("the renewed secret has a row for its old expiry: %+v", row)
				}
			}
		case 1:
			if len(rows) != 0 {
				t.Errorf("the deleted secret has %d rows", len(rows))
			}
		default:
			if len(rows) != 3 {
				t.Errorf("s%d has %d rows, want 3", i, len(rows))
			}
		}
	}
}
