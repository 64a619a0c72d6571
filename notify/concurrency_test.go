package notify

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"latchkey/models"
)

// Two notifier instances, each with its own connection pool on one SQLite
// database (two Latchkey processes), scan the same secrets at the same
// moment, again and again: every notice is delivered once on every channel.
func TestTwoInstancesDeliverEachNoticeOnce(t *testing.T) {
	h := startHook(t)
	mail := startSMTP(t)
	w := newWorld(t)
	w.useWebhook(h.srv.URL)
	w.useSMTP(mail)

	// 40 secrets over 8 applications, expiring from 12 hours ago to 19
	// days from now.
	const apps, perApp = 8, 5
	var secrets []string
	for i := range apps {
		a := w.app
		if i > 0 {
			var err error
			a, _, err = w.store.CreateApplication(w.ctx, models.Actor{}, w.domain.ID, models.ApplicationInput{
				Name: fmt.Sprintf("App %d", i), Type: models.AppTypeService, OwnerID: w.bob.ID,
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		for j := range perApp {
			ns, err := w.store.CreateSecret(w.ctx, models.Actor{}, a.ID, fmt.Sprintf("s%d", j))
			if err != nil {
				t.Fatal(err)
			}
			w.expireIn(ns.ID, time.Duration(i*perApp+j)*11*time.Hour-12*time.Hour)
			secrets = append(secrets, ns.ID)
		}
	}
	if err := w.store.SetSecretExpiry(w.ctx, w.secret, nil); err != nil {
		t.Fatal(err)
	}

	a, b := w.notifier(w.open()), w.notifier(w.open())
	a.pageSize, b.pageSize = 7, 7 // many pages, so the two interleave
	// In the first round both instances read the first page and decide
	// its notices before either inserts them: both try to insert the same
	// ledger keys, and the database must let only one of them win.
	var lineUp sync.WaitGroup
	lineUp.Add(2)
	var onceA, onceB sync.Once
	wait := func(once *sync.Once) func() {
		return func() {
			once.Do(func() {
				lineUp.Done()
				lineUp.Wait()
			})
		}
	}
	a.beforeInsert, b.beforeInsert = wait(&onceA), wait(&onceB)
	decided := make([]int, 4)
	for round := range 4 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		runs := make([]*models.NotificationRun, 2)
		errs := make([]error, 2)
		for i, n := range []*Notifier{a, b} {
			wg.Go(func() {
				<-start
				runs[i], errs[i] = n.Run(w.ctx)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: instance %d: %v", round, i, err)
			}
		}
		decided[round] = runs[0].Decided + runs[1].Decided
		w.clock.Advance(3 * day)
	}

	// Every ledger row was delivered, once.
	want := map[string]int{} // channel → rows sent
	rows := 0
	for _, id := range secrets {
		for _, row := range w.ledger(id) {
			if row.Status != models.LedgerSent {
				t.Errorf("row %d (%s %s) is %s: %s", row.ID, row.Channel, row.Event, row.Status, row.LastError)
			}
			want[row.Channel]++
			rows++
		}
	}
	if sum := decided[0] + decided[1] + decided[2] + decided[3]; sum != rows {
		t.Errorf("the instances report %d decisions for %d ledger rows", sum, rows)
	}
	if want[models.ChannelUI] == 0 || want[models.ChannelUI] != 2*want[models.ChannelLog] || want[models.ChannelEmail] != want[models.ChannelUI] ||
		want[models.ChannelWebhook] != want[models.ChannelLog] {
		t.Fatalf("ledger rows by channel = %v, want ui = email = 2 × log = 2 × webhook", want)
	}

	// Console: one notice per ui row, none twice.
	seen := map[string]int{}
	total := 0
	for _, u := range []*models.User{w.alice, w.bob} {
		for _, n := range w.notices(u) {
			seen[u.ID+"|"+n.SubjectID+"|"+n.Title[:40]]++
			total++
		}
	}
	if total != want[models.ChannelUI] {
		t.Errorf("%d console notices for %d ui rows", total, want[models.ChannelUI])
	}
	// E-mail: one message per e-mail row.
	if got := len(mail.messages()); got != want[models.ChannelEmail] {
		t.Errorf("%d e-mails for %d e-mail rows", got, want[models.ChannelEmail])
	}
	// Webhook: one request per event id, one event per webhook row.
	_, byID, requests, bad := h.snapshot()
	if bad != 0 || requests != want[models.ChannelWebhook] || len(byID) != want[models.ChannelWebhook] {
		t.Errorf("webhook: %d requests, %d distinct events, %d bad signatures; want %d of each",
			requests, len(byID), bad, want[models.ChannelWebhook])
	}
	for id, c := range byID {
		if c != 1 {
			t.Errorf("event %s delivered %d times", id, c)
		}
	}
	// Log: one line per log row.
	if got := countLines(w.logs.String(), "secretId="); got != want[models.ChannelLog] {
		t.Errorf("%d log lines for %d log rows", got, want[models.ChannelLog])
	}
}

func countLines(s, substr string) int {
	n := 0
	for line := range strings.Lines(s) {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}
