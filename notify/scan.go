package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"latchkey/models"
	"latchkey/models/ledger"
)

// Run runs every enabled source once and delivers what it decided, and
// what earlier runs left pending. The returned record is also stored for
// the Notifications page.
func (n *Notifier) Run(ctx context.Context) (*models.NotificationRun, error) {
	return n.runSources(ctx, n.enabled())
}

// runSources scans the given sources, then delivers; see Run.
func (n *Notifier) runSources(ctx context.Context, sources []*configured) (*models.NotificationRun, error) {
	run := &models.NotificationRun{ID: uuid.NewString(), Host: n.host}
	if err := n.store.StartNotificationRun(ctx, run); err != nil {
		return nil, err
	}
	err := n.run(ctx, run, sources)
	if err != nil {
		run.Error = err.Error()
	}
	// Recorded even when ctx is cancelled, so the page shows the stop.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := n.store.FinishNotificationRun(fctx, run); ferr != nil && err == nil {
		err = ferr
	}
	n.log.Info("notifier run finished", "run", run.ID, "scanned", run.Scanned, "decided", run.Decided,
		"retried", run.Retried, "sent", run.Sent, "failed", run.Failed, "obsolete", run.Obsolete)
	return run, err
}

func (n *Notifier) run(ctx context.Context, run *models.NotificationRun, sources []*configured) error {
	return n.decideAndDeliver(ctx, run, true, func(now time.Time, decide func(*configured, []plannedEntry) error, caughtUp func() error) error {
		for _, src := range sources {
			err := n.scan(ctx, src, now, func(entries []plannedEntry) error { return decide(src, entries) }, caughtUp, &run.Scanned)
			if err != nil {
				return fmt.Errorf("%s: %w", src.key, err)
			}
		}
		return nil
	})
}

// decideAndDeliver decides the entries feed hands to decide (after taking
// over pending rows whose lease ran out, when reclaim is set), then
// delivers what the run claimed. caughtUp lets feed commit what it decided
// so far (see ledger.Decider).
func (n *Notifier) decideAndDeliver(ctx context.Context, run *models.NotificationRun, reclaim bool,
	feed func(now time.Time, decide func(*configured, []plannedEntry) error, caughtUp func() error) error) error {
	now := n.store.Now().UTC()
	leaseUntil := now.Add(n.lease)
	if reclaim {
		retried, err := n.ledger.ReclaimPending(ctx, run.ID, leaseUntil)
		if err != nil {
			return fmt.Errorf("take over pending notices: %w", err)
		}
		run.Retried = int(retried)
	}
	// onDecided runs inside the transaction: counts are kept apart and
	// added once it has committed, and the log lines are written just
	// before it commits.
	var d decision
	var toLog []*plannedEntry
	decider := n.ledger.NewDecider(ctx, run.ID, leaseUntil, ledger.DeciderHooks{
		BeforeCommit: func() {
			for _, e := range toLog {
				n.logNotice(ctx, e, now)
			}
			toLog = nil // lets the batch's pages go
		},
		Committed: func() {
			d.addTo(run)
			for ch, k := range d.sentByChannel {
				n.count(ch, k, 0)
			}
			d = decision{}
		},
	})
	defer decider.Close()
	err := feed(now, func(src *configured, entries []plannedEntry) error {
		le := make([]ledger.LedgerEntry, len(entries))
		for i, e := range entries {
			le[i] = e.LedgerEntry
		}
		if n.beforeInsert != nil {
			n.beforeInsert()
		}
		if err := ctx.Err(); err != nil {
			return err // stopped: what was decided before is committed
		}
		return decider.Decide(src.kind, le, func(i int, id uint64) {
			e := &entries[i]
			d.add(id, e.Channel, e.Channel == models.ChannelUI || e.Sent)
			if e.Channel == models.ChannelLog && e.Sent {
				toLog = append(toLog, e)
			}
		})
	}, decider.Commit)
	// Whatever stopped the scan (the end, the run cancelled, a failure),
	// what was decided is kept.
	if cerr := decider.Commit(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	decider.Close()
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	if n.afterDecide != nil {
		if err := n.afterDecide(); err != nil {
			return err
		}
	}
	return n.deliver(ctx, run)
}

// decision counts what a transaction of the Decider inserted.
type decision struct {
	decided       int
	first, last   uint64
	sentByChannel map[string]int
}

func (d *decision) add(id uint64, channel string, sent bool) {
	d.decided++
	if d.first == 0 || id < d.first {
		d.first = id
	}
	d.last = max(d.last, id)
	if sent {
		if d.sentByChannel == nil {
			d.sentByChannel = map[string]int{}
		}
		d.sentByChannel[channel]++
	}
}

func (d *decision) addTo(run *models.NotificationRun) {
	run.Decided += d.decided
	if d.first != 0 && (run.FirstLedgerID == 0 || d.first < run.FirstLedgerID) {
		run.FirstLedgerID = d.first
	}
	run.LastLedgerID = max(run.LastLedgerID, d.last)
	for ch, n := range d.sentByChannel {
		addSent(run, ch, n)
	}
}

// addSent counts n notices sent on a channel.
func addSent(run *models.NotificationRun, channel string, n int) {
	run.Sent += n
	switch channel {
	case models.ChannelUI:
		run.SentUI += n
	case models.ChannelEmail:
		run.SentEmail += n
	case models.ChannelWebhook:
		run.SentWebhook += n
	case models.ChannelLog:
		run.SentLog += n
	}
}

// plannedEntry is a decision with the names a dry run prints.
type plannedEntry struct {
	ledger.LedgerEntry
	// Subject is the due subject, in the page read.
	Subject *models.Subject
	source  *configured
	// Person is the user told on the console and by e-mail; nil for the
	// webhook and the log.
	Person *models.Recipient
}

// display is the recipient for people: "Name <email>", a URL, "log".
func (e *plannedEntry) display() string {
	if e.Person != nil {
		return e.Person.Name + " <" + e.Person.Email + ">"
	}
	return e.Recipient
}

// scan pages through a source's due subjects and hands each page's new
// decisions to decide; caughtUp, when not nil, is called whenever decide
// has handled every page read so far. scanned counts the subjects looked
// at.
//
// Reading runs a page ahead of deciding, in a goroutine of its own, so that
// the database reads the next page while it writes this one (SQLite's WAL
// lets a reader go on beside the writer). No page's decisions depend on
// another's: each subject is in exactly one page, and what was decided
// before the run is read per page.
func (n *Notifier) scan(ctx context.Context, src *configured, now time.Time, decide func([]plannedEntry) error, caughtUp func() error, scanned *int) error {
	g, gctx := errgroup.WithContext(ctx)
	pages := make(chan []plannedEntry, 1)
	g.Go(func() (err error) {
		defer recoverInto(&err)
		defer close(pages)
		return n.read(gctx, src, now, scanned, func(entries []plannedEntry) error {
			select {
			case pages <- entries:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() (err error) {
		defer recoverInto(&err)
		for entries := range pages {
			if err := gctx.Err(); err != nil {
				return err
			}
			if err := decide(entries); err != nil {
				return err
			}
			if len(pages) == 0 && caughtUp != nil {
				if err := caughtUp(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return g.Wait()
}

// recoverInto turns a panic of a run's goroutine into its error, as the
// schedule's cron.Recover does for the run itself: a bad notice fails the
// run, not the server.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("notifier panic: %v", r)
	}
}

// read pages through a source's due subjects and hands each page's new
// decisions to page.
func (n *Notifier) read(ctx context.Context, src *configured, now time.Time, scanned *int, page func([]plannedEntry) error) error {
	horizon := now.Add(time.Duration(src.thresholds[0]) * 24 * time.Hour)
	owners := map[string][]models.Recipient{} // domain id → enabled owners, for this run
	var cursor *models.DueCursor
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		due, err := src.Due(ctx, horizon, cursor, n.pageSize)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		*scanned += len(due)
		last := due[len(due)-1]
		cursor = &models.DueCursor{ExpiresAt: last.ExpiresAt, ID: last.ID}

		var newDomains []string
		for _, s := range due {
			if _, ok := owners[s.DomainID]; !ok {
				newDomains = append(newDomains, s.DomainID)
				owners[s.DomainID] = nil
			}
		}
		if len(newDomains) > 0 {
			found, err := n.store.DomainOwners(ctx, newDomains)
			if err != nil {
				return err
			}
			for id, rs := range found {
				owners[id] = rs
			}
		}
		decided, err := n.ledger.DecidedNotices(ctx, src.kind, due)
		if err != nil {
			return err
		}
		// Room for the usual three entries a subject has (two owners on
		// the console, the log) before the slice must grow.
		entries := make([]plannedEntry, 0, 3*len(due))
		for i := range due {
			s := &due[i]
			event, threshold, ok := src.eventFor(s.ExpiresAt, now)
			if !ok {
				continue
			}
			key := ledger.NoticeKey{SubjectID: s.ID, ExpiresAt: s.ExpiresAt, Event: event, Threshold: threshold}
			if decided[key.Canonical()] {
				continue
			}
			entries = n.expand(entries, src, key, s, recipients(owners[s.DomainID], s.Owner, s.Owners))
		}
		if len(entries) > 0 {
			if err := page(entries); err != nil {
				return err
			}
		}
		if len(due) < n.pageSize {
			return nil
		}
	}
}

// recipients are the domain's owners and the subject's owners, each once.
func recipients(domainOwners []models.Recipient, owner *models.Recipient, more []models.Recipient) []models.Recipient {
	out := domainOwners
	add := func(o *models.Recipient) {
		if !slices.ContainsFunc(out, func(r models.Recipient) bool { return r.ID == o.ID }) {
			out = append(slices.Clip(out), *o)
		}
	}
	if owner != nil {
		add(owner)
	}
	for i := range more {
		add(&more[i])
	}
	return out
}

// expand adds one ledger entry per channel and recipient of a notice.
func (n *Notifier) expand(out []plannedEntry, src *configured, key ledger.NoticeKey, s *models.Subject, people []models.Recipient) []plannedEntry {
	add := func(channel, recipient string, person *models.Recipient) *plannedEntry {
		out = append(out, plannedEntry{
			LedgerEntry: ledger.LedgerEntry{NoticeKey: key, Recipient: recipient, Channel: channel},
			Subject:     s, source: src, Person: person,
		})
		return &out[len(out)-1]
	}
	for _, name := range allChannels {
		switch ch := n.channels[name]; c := ch.(type) {
		case nil:
		case *uiChannel:
			// Stored with the decision (see ledger.Decider).
			for i := range people {
				add(name, people[i].ID, &people[i])
			}
		case *emailChannel:
			for i := range people {
				if people[i].Email != "" { // people without an address get console notices only
					add(name, people[i].ID, &people[i])
				}
			}
		case *webhookChannel:
			for _, u := range c.urls {
				add(name, u, nil)
			}
		case *logChannel:
			// Logged as it is decided (see logNotice).
			add(name, models.LogRecipient, nil).Sent = true
		}
	}
	return out
}

// logNotice writes a decided log-channel notice. It runs just before the
// deciding transaction commits, its row inserted as sent: should the
// commit then fail, the run that decides the notice again logs it again
// (at least once).
func (n *Notifier) logNotice(ctx context.Context, e *plannedEntry, now time.Time) {
	lc, _ := n.channels[models.ChannelLog].(*logChannel)
	if lc == nil || !lc.log.Enabled(ctx, logLevel(e.Threshold == 0)) {
		return
	}
	d := ledger.Delivery{Kind: e.source.kind.Name, SubjectID: e.SubjectID, Event: e.Event, Threshold: e.Threshold,
		ExpiresAt: e.ExpiresAt, Channel: e.Channel, Recipient: e.Recipient}
	lc.write(ctx, newNotice(d, *e.Subject, e.source, n.publicURL, now))
}
